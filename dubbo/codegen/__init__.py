"""Typed Dubbo stubs from ``.proto`` files: a protoc plugin and a wrapper around grpcio-tools.

    python -m dubbo.codegen -I protos --dubbo_out=out protos/greeter.proto

writes ``out/greeter_pb2.py`` (and ``.pyi``) and ``out/greeter_dubbo.py`` with, per service,
a client stub and a servicer base class, each also for asyncio (``GreeterAsyncStub`` on
``dubbo.aio.Client``, ``GreeterAsyncServicer``), and ``greeter_handler(servicer)`` that
makes either servicer the ``RpcServiceHandler`` both servers take.
With protoc on the PATH and this package installed, ``protoc --dubbo_out=out`` finds the
``protoc-gen-dubbo`` plugin by itself.
"""
