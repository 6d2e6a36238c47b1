"""The protoc plugin: a ``CodeGeneratorRequest`` on stdin, ``*_dubbo.py`` modules on stdout.

Each generated module sits next to protoc's ``*_pb2.py`` and imports it the way protoc's
Python generator names it (``a/b-c.proto`` → ``a.b_c_pb2``).
"""

from __future__ import annotations

import keyword
import re
import sys
from typing import Dict, Iterable, List, NamedTuple, Tuple

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

__all__ = ["main", "generate", "snake_case"]

SUFFIX = "_dubbo.py"

# (client streams, server streams) -> (RpcMethodHandler / Client factory, typing protocol)
_SHAPES = {
    (False, False): ("unary", "unary", "UnaryMethod"),
    (True, False): ("client_stream", "client_stream", "ClientStreamMethod"),
    (False, True): ("server_stream", "server_stream", "ServerStreamMethod"),
    (True, True): ("bidi_stream", "bi_stream", "BidiStreamMethod"),
}


class Method(NamedTuple):
    name: str  # as in the proto: the wire name
    attribute: str  # a valid Python identifier for it
    alias: str  # snake_case alias, or "" when it would equal or clash with another name
    client_streaming: bool
    server_streaming: bool
    request: str  # Python expression for the request class
    response: str


class Service(NamedTuple):
    name: str
    full_name: str
    methods: List[Method]


def snake_case(name: str) -> str:
    """``SayHello`` → ``say_hello``, ``GetHTTPStatus`` → ``get_http_status``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def _identifier(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


def module_name(proto_file: str) -> str:
    """The module protoc's Python generator makes for a ``.proto`` file."""
    stem = proto_file[: -len(".proto")] if proto_file.endswith(".proto") else proto_file
    return stem.replace("-", "_").replace("/", ".") + "_pb2"


def _alias(module: str) -> str:
    return "_" + module.replace(".", "_")


def _message_types(files: Iterable[descriptor_pb2.FileDescriptorProto]) -> Dict[str, Tuple[str, str]]:
    """``.pkg.Outer.Inner`` → (module, ``Outer.Inner``) for every message, nested ones too."""
    found: Dict[str, Tuple[str, str]] = {}

    def walk(module: str, prefix: str, path: str, messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
        for message in messages:
            found[f"{prefix}.{message.name}"] = (module, f"{path}{message.name}")
            walk(module, f"{prefix}.{message.name}", f"{path}{message.name}.", message.nested_type)

    for proto in files:
        walk(module_name(proto.name), f".{proto.package}" if proto.package else "", "", proto.message_type)
    return found


def _services(proto: descriptor_pb2.FileDescriptorProto, types: Dict[str, Tuple[str, str]]) -> Tuple[List[Service], List[str]]:
    modules: Dict[str, None] = {}
    services = []
    for service in proto.service:
        attributes = {_identifier(m.name) for m in service.method}
        methods = []
        for method in service.method:
            attribute = _identifier(method.name)
            alias = _identifier(snake_case(method.name))
            if alias == attribute or alias in attributes:
                alias = ""
            request_module, request = types[method.input_type]
            response_module, response = types[method.output_type]
            modules[request_module] = modules[response_module] = None
            methods.append(
                Method(
                    method.name,
                    attribute,
                    alias,
                    method.client_streaming,
                    method.server_streaming,
                    f"{_alias(request_module)}.{request}",
                    f"{_alias(response_module)}.{response}",
                )
            )
        full_name = f"{proto.package}.{service.name}" if proto.package else service.name
        services.append(Service(service.name, full_name, methods))
    return services, list(modules)


def _render_stub(out: List[str], service: Service, asynchronous: bool) -> None:
    prefix, client = ("Async", "dubbo.aio.Client") if asynchronous else ("", "dubbo.Client")
    out += [
        "",
        "",
        f"class {service.name}{prefix}Stub:",
        f'    """Calls ``{service.full_name}`` through a ``{client}`` made for that service."""',
        "",
        f"    service_name = {service.full_name!r}",
        "",
    ]
    for m in service.methods:
        _, _, protocol = _SHAPES[m.client_streaming, m.server_streaming]
        for attribute in filter(None, (m.attribute, m.alias)):
            out.append(f"    {attribute}: {prefix}{protocol}[{m.request}, {m.response}]")
    out += ["", f"    def __init__(self, client: {client}) -> None:"]
    for m in service.methods:
        factory, _, _ = _SHAPES[m.client_streaming, m.server_streaming]
        out += [
            f"        self.{m.attribute} = client.{factory}(",
            f"            {m.name!r}, {m.request}.SerializeToString, {m.response}.FromString",
            "        )",
        ]
        if m.alias:
            out.append(f"        self.{m.alias} = self.{m.attribute}")


def _servicer_method(m: Method, asynchronous: bool) -> str:
    """The signature of a servicer method, in Apache's handler shapes."""
    if not m.client_streaming and not m.server_streaming:
        head, parameter = "def", f"request: {m.request}"
        result = m.response
    elif not m.server_streaming:
        head, parameter = "def", f"requests: {'AsyncRequestStream' if asynchronous else 'RequestStream'}[{m.request}]"
        result = m.response
    elif asynchronous:
        # A plain ``def`` here, so an override may be an async generator or an ``async def`` that writes.
        return (
            f"def {m.attribute}(self, stream: AsyncHandlerStream[{m.request}, {m.response}])"
            f" -> Union[AsyncIterator[{m.response}], Awaitable[None]]:"
        )
    else:
        head, parameter = "def", f"stream: HandlerStream[{m.request}, {m.response}]"
        result = f"Optional[Iterable[{m.response}]]"
    if asynchronous:
        head = "async def"
    return f"{head} {m.attribute}(self, {parameter}) -> {result}:"


def _render_servicer(out: List[str], service: Service, asynchronous: bool) -> None:
    prefix = "Async" if asynchronous else ""
    out += [
        "",
        "",
        f"class {service.name}{prefix}Servicer:",
        f'    """Serves ``{service.full_name}``: override the methods; the others answer UNIMPLEMENTED."""',
        "",
        f"    service_name = {service.full_name!r}",
    ]
    for m in service.methods:
        out += [
            "",
            f"    {_servicer_method(m, asynchronous)}",
            "        raise dubbo.RpcError(",
            f"            grpc.StatusCode.UNIMPLEMENTED, {f'Method not implemented: {service.full_name}/{m.name}'!r}",
            "        )",
        ]


def _render_handler(out: List[str], service: Service) -> None:
    servicers = f"Union[{service.name}Servicer, {service.name}AsyncServicer]"
    out += [
        "",
        "",
        f"def {snake_case(service.name)}_handler(servicer: {servicers}) -> dubbo.RpcServiceHandler:",
        f'    """The servicer as the ``RpcServiceHandler`` of ``{service.full_name}``, for either server."""',
        "    return dubbo.RpcServiceHandler(",
        f"        {service.full_name!r},",
        "        [",
    ]
    for m in service.methods:
        _, kind, _ = _SHAPES[m.client_streaming, m.server_streaming]
        out += [
            f"            dubbo.RpcMethodHandler.{kind}(",
            f"                servicer.{m.attribute}, {m.name!r}, {m.request}.FromString, {m.response}.SerializeToString",
            "            ),",
        ]
    out += ["        ],", "    )"]


def render(proto: descriptor_pb2.FileDescriptorProto, types: Dict[str, Tuple[str, str]]) -> str:
    """The ``*_dubbo.py`` module for one ``.proto`` file."""
    services, modules = _services(proto, types)
    names = [f"{s.name}{kind}" for s in services for kind in ("Stub", "Servicer", "AsyncStub", "AsyncServicer")]
    names += [f"{snake_case(s.name)}_handler" for s in services]
    out = [
        f"# Generated by dubbo.codegen from {proto.name}. DO NOT EDIT!",
        f'"""Dubbo stubs and servicers for {proto.name}."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if services:
        out += [
            "from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Iterable, Optional, Union",
            "",
            "import grpc",
            "",
            "import dubbo",
            "",
        ]
        out += [f"import {module} as {_alias(module)}" for module in modules]
        out += [
            "",
            "if TYPE_CHECKING:",
            "    import dubbo.aio",
            "    from dubbo.typing import (",
            "        AsyncBidiStreamMethod,",
            "        AsyncClientStreamMethod,",
            "        AsyncHandlerStream,",
            "        AsyncRequestStream,",
            "        AsyncServerStreamMethod,",
            "        AsyncUnaryMethod,",
            "        BidiStreamMethod,",
            "        ClientStreamMethod,",
            "        HandlerStream,",
            "        RequestStream,",
            "        ServerStreamMethod,",
            "        UnaryMethod,",
            "    )",
        ]
    out += ["", f"__all__ = {sorted(names)!r}"]
    for service in services:
        for asynchronous in (False, True):
            _render_stub(out, service, asynchronous)
            _render_servicer(out, service, asynchronous)
        _render_handler(out, service)
    return "\n".join(out) + "\n"


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    """One ``*_dubbo.py`` per file to generate; errors go into the response, as protoc expects."""
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    types = _message_types(request.proto_file)
    by_name = {proto.name: proto for proto in request.proto_file}
    for name in request.file_to_generate:
        proto = by_name[name]
        try:
            content = render(proto, types)
        except KeyError as error:  # a type protoc resolved but we could not name
            response.error = f"{name}: cannot resolve message type {error}"
            return response
        target = response.file.add()
        target.name = module_name(name)[: -len("_pb2")].replace(".", "/") + SUFFIX
        target.content = content
    return response


def main() -> None:
    """Entry point of ``protoc-gen-dubbo``."""
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
