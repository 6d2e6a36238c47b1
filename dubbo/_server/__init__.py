"""The sync server: handler declarations, adapters onto grpcio, routing, health and ``dubbo.Server``.
Never imports the client."""
