"""The sync client: callables for the four call shapes and ``dubbo.Client``. Never imports the server."""
