"""Apache dubbo-python's ``dubbo.proxy`` package (only ``dubbo.proxy.handlers`` is public)."""
