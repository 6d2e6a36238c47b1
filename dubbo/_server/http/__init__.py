"""Triple over plain HTTP: an optional second listener serving a server's exported services.

Java Dubbo 3.3 answers plain HTTP (curl's JSON POSTs, dubbo-js's Triple transport) on its
Triple port; grpcio owns that port and speaks only gRPC, so here the same services,
routing, interceptors, token check and ``server_context()`` answer on a port of their
own, served by hypercorn (``pip install 'dubbo-grpcio[http]'``). Nothing here is imported
unless a server is given ``http_port``.
"""

from .options import HttpOptions

__all__ = ["HttpOptions"]
