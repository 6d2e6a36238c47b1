"""``dubbo``: call, list and health-check Triple services, and read a registry, from the shell.

    dubbo call tri://127.0.0.1:50051/pkg.Greeter/sayHello '{"name": "world"}'
    dubbo list tri://127.0.0.1:50051
    dubbo health tri://127.0.0.1:50051/pkg.Greeter
    dubbo providers zookeeper://127.0.0.1:2181/pkg.Greeter
    dubbo qos ready --port 22222

Message types come from server reflection or from ``--proto``; messages are JSON
(protobuf's JSON mapping), one document per line. The exit code is the gRPC status code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import urllib.parse
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor

from ._client.client import Client
from ._core.config import DEFAULT_PORT, ReferenceConfig, RegistryConfig
from ._core.errors import RpcError
from ._registry.metadata import app_names
from ._registry.url import URL, decode, encode
from ._registry.zookeeper import services_root_of, unreachable

__all__ = ["main", "run"]

_FACTORIES = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT

_QOS_COMMANDS = ("ls", "offline", "online", "ready", "live", "startup", "metrics")


class _Parser(argparse.ArgumentParser):
    """Command-line mistakes exit with INVALID_ARGUMENT (3), like every other failure's status."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        self.exit(INVALID_ARGUMENT.value[0], f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="dubbo", description="Call Dubbo Triple (gRPC) services from the shell.")
    parser.add_argument("--version", action="version", version=f"dubbo-grpcio {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    tls = _Parser(add_help=False)
    tls.add_argument("--timeout", type=float, help="deadline in seconds (unary calls default to 3)")
    tls.add_argument("--tls", action="store_true", help="connect with TLS (system CAs unless --ca)")
    tls.add_argument("--ca", help="PEM file of the CAs that sign the server's certificate (implies --tls)")
    tls.add_argument("--cert", help="PEM file of our client certificate, for mutual TLS (implies --tls)")
    tls.add_argument("--key", help="PEM file of the client certificate's private key")

    types = _Parser(add_help=False)
    types.add_argument("--proto", action="append", default=[], metavar="FILE", help="take message types from this .proto instead of reflection")
    types.add_argument("-I", "--proto-path", action="append", default=[], metavar="DIR", help="where --proto files and their imports are")

    call = commands.add_parser("call", parents=[tls, types], help="call a method; JSON in, JSON lines out")
    call.add_argument("url", help="tri://host:port/pkg.Service/Method[?version=&group=]")
    call.add_argument("request", nargs="?", help="the request as JSON; client and bidi streams read JSON lines from stdin when omitted or '-'")
    call.add_argument("--service-version", metavar="VERSION", help="the service version (tri-service-version)")
    call.add_argument("--group", help="the service group (tri-service-group)")
    call.add_argument("-H", "--attachment", action="append", default=[], metavar="KEY=VALUE", help="send an attachment (request header); repeatable")
    call.add_argument("--http", action="store_true", help="call a plain-HTTP Triple endpoint (http://host:port/pkg.Service/method): Java 3.3, dubbo-js, http_port")
    call.add_argument("--hessian2", action="store_true", help="call a Java interface method (wrapper mode): the request is a JSON array of its arguments")
    call.add_argument("--types", default="", metavar="T1,T2", help="with --hessian2: the Java parameter types, comma-separated (java.lang.String,int)")
    call.add_argument("--generic", action="store_true", help="with --hessian2: call through $invoke, as Java's GenericService does")

    listing = commands.add_parser("list", parents=[tls, types], help="services and methods, from reflection")
    listing.add_argument("url", help="tri://host:port[/pkg.Service]")

    health = commands.add_parser("health", parents=[tls], help="the grpc.health.v1 status of the server or a service")
    health.add_argument("url", help="tri://host:port[/pkg.Service]")

    providers = commands.add_parser("providers", help="the providers a ZooKeeper registry holds")
    providers.add_argument("url", help="zookeeper://host:port[,host:port][/pkg.Service][?group=dubbo]")
    providers.add_argument("--service-version", metavar="VERSION", help="only providers of this service version")
    providers.add_argument("--group", help="only providers of this group")
    providers.add_argument("--json", action="store_true", help="one JSON document per provider")
    providers.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for ZooKeeper")

    qos = commands.add_parser("qos", help="a process's QoS port (dubbo.observability.Qos): ls, offline, probes")
    qos.add_argument("qos_command", metavar="COMMAND", choices=_QOS_COMMANDS, help=", ".join(_QOS_COMMANDS))
    qos.add_argument("--host", default="127.0.0.1", help="where the QoS port listens (default 127.0.0.1)")
    qos.add_argument("--port", type=int, default=22222, help="the QoS port (default 22222, Java's)")
    qos.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    return parser


# -- addresses, channels, message types -------------------------------------------------


def _target(url: str) -> Tuple[str, str, Dict[str, str]]:
    """``tri://host:port/path?query`` → (``host:port``, path, query)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "tri" or not parts.hostname:
        raise RpcError(INVALID_ARGUMENT, f"expected tri://host:port/..., got {url!r}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise RpcError(INVALID_ARGUMENT, f"bad port in {url!r}") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}", parts.path.strip("/"), dict(urllib.parse.parse_qsl(parts.query))


def _read(path: Optional[str], what: str) -> Optional[bytes]:
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise RpcError(INVALID_ARGUMENT, f"{what} {path}: {error.strerror}") from None


def _tls_wanted(args: argparse.Namespace) -> bool:
    if bool(args.cert) != bool(args.key):
        raise RpcError(INVALID_ARGUMENT, "--cert and --key go together")
    return bool(args.tls or args.ca or args.cert)


def _channel(args: argparse.Namespace, address: str) -> grpc.Channel:
    """A plain grpcio channel, for the standard services (reflection, health)."""
    if not _tls_wanted(args):
        return grpc.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(
        _read(args.ca, "--ca"), _read(args.key, "--key"), _read(args.cert, "--cert")
    )
    return grpc.secure_channel(address, credentials)


def _import(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RpcError(
            grpc.StatusCode.FAILED_PRECONDITION, f"{module} is not installed: pip install 'dubbo-grpcio[{extra}]'"
        ) from None


def _compiled_pool(files: Sequence[str], include: Sequence[str]) -> Tuple[descriptor_pool.DescriptorPool, List[str]]:
    """Descriptors of ``.proto`` files compiled with grpcio-tools' protoc, and the services they define."""
    protoc = _import("grpc_tools.protoc", "codegen")
    if include:
        names = list(files)
    else:  # each file from its own directory
        include = sorted({os.path.dirname(os.path.abspath(f)) for f in files})
        names = [os.path.basename(f) for f in files]
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    with tempfile.TemporaryDirectory(prefix="dubbo-cli-") as scratch:
        out = os.path.join(scratch, "descriptors.pb")
        argv = ["protoc", *(f"-I{d}" for d in include), f"-I{well_known}", "--include_imports", f"--descriptor_set_out={out}"]
        if protoc.main(argv + names) != 0:
            raise RpcError(INVALID_ARGUMENT, f"protoc could not compile {', '.join(files)} (see above)")
        with open(out, "rb") as file:
            descriptors = descriptor_pb2.FileDescriptorSet.FromString(file.read())
    pool = descriptor_pool.DescriptorPool()
    services = []
    for proto in descriptors.file:  # dependencies come first
        pool.Add(proto)
        services += [f"{proto.package}.{s.name}" if proto.package else s.name for s in proto.service]
    return pool, sorted(services)


class _Reflection:
    """Message types from the server's reflection service (grpcio-reflection's client)."""

    def __init__(self, channel: grpc.Channel) -> None:
        database = _import("grpc_reflection.v1alpha.proto_reflection_descriptor_database", "cli")
        self.database = database.ProtoReflectionDescriptorDatabase(channel)
        self.pool = descriptor_pool.DescriptorPool(self.database)

    def services(self) -> List[str]:
        try:
            return sorted(self.database.get_services())
        except grpc.RpcError as error:
            raise _reflection_error(error) from None


def _reflection_error(error: grpc.RpcError) -> RpcError:
    failure = RpcError.from_grpc(error)
    if failure.code() == grpc.StatusCode.UNIMPLEMENTED:
        return RpcError(failure.code(), "the server offers no reflection; give the types with --proto FILE")
    return failure


def _find_service(pool: descriptor_pool.DescriptorPool, name: str) -> Any:
    try:
        return pool.FindServiceByName(name)
    except KeyError:
        raise RpcError(
            grpc.StatusCode.UNIMPLEMENTED, f"Service not found: {name} (if the server has it but cannot describe it, use --proto)"
        ) from None
    except grpc.RpcError as error:
        raise _reflection_error(error) from None


def _find_method(pool: descriptor_pool.DescriptorPool, service: str, method: str) -> MethodDescriptor:
    methods = _find_service(pool, service).methods_by_name
    # Java serves ``sayHello`` when called as ``SayHello``, and the other way round here.
    for name in (method, method[:1].lower() + method[1:], method[:1].upper() + method[1:]):
        if name in methods:
            return methods[name]
    raise RpcError(grpc.StatusCode.UNIMPLEMENTED, f"Method not found: {method} in service {service}")


def _pool(args: argparse.Namespace, address: str) -> Tuple[descriptor_pool.DescriptorPool, Any]:
    """The descriptor pool to find types in, and a callable listing the services it knows."""
    if args.proto:
        pool, services = _compiled_pool(args.proto, args.proto_path)
        return pool, lambda: services
    reflection = _Reflection(_channel(args, address))
    return reflection.pool, reflection.services


# -- call -------------------------------------------------------------------------------


def _attachments(pairs: Sequence[str]) -> Dict[str, str]:
    attachments = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RpcError(INVALID_ARGUMENT, f"-H expects KEY=VALUE, got {pair!r}")
        attachments[key.strip()] = value
    return attachments


class _Messages:
    """JSON ↔ messages of one method."""

    def __init__(self, method: MethodDescriptor, pool: descriptor_pool.DescriptorPool) -> None:
        self.request = message_factory.GetMessageClass(method.input_type)
        self.response = message_factory.GetMessageClass(method.output_type)
        self.pool = pool

    def parse(self, text: str, where: str) -> Any:
        try:
            return json_format.Parse(text, self.request(), descriptor_pool=self.pool)
        except json_format.ParseError as error:
            raise RpcError(INVALID_ARGUMENT, f"{where}: not a {self.request.DESCRIPTOR.full_name}: {error}") from None

    def lines(self, stream: IO[str]) -> Iterator[Any]:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield self.parse(line, f"stdin line {number}")

    def show(self, message: Any, out: IO[str]) -> None:
        out.write(json_format.MessageToJson(message, indent=None, descriptor_pool=self.pool) + "\n")
        out.flush()


def _send(call: Any, requests: Iterator[Any], failed: List[BaseException]) -> None:
    """Write every request, then half-close. A bad request is recorded, then the call cancelled."""
    try:
        for request in requests:
            call.write(request)
    except RpcError as error:  # a line that is not JSON for the request type
        failed.append(error)
        call.cancel()
        return
    except ValueError:  # the call has already ended: reading it tells how
        return
    call.done_writing()


def _reference(args: argparse.Namespace, address: str, service: str, query: Dict[str, str]) -> ReferenceConfig:
    """The reference a call goes through: the URL's settings, then the command line's version, group and TLS."""
    reference = ReferenceConfig.from_url(f"tri://{address}/{service}?{urllib.parse.urlencode(query)}")
    reference.version = args.service_version or reference.version
    reference.group = args.group or reference.group
    if _tls_wanted(args):
        from ._core.tls import TlsConfig

        reference.tls = TlsConfig(
            root_certificates=_read(args.ca, "--ca"), cert_chain=_read(args.cert, "--cert"), private_key=_read(args.key, "--key")
        )
    return reference


def _options(args: argparse.Namespace) -> Dict[str, Any]:
    """The per-call options the command line sets: timeout and attachments."""
    options: Dict[str, Any] = {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.attachment:
        options["attachments"] = _attachments(args.attachment)
    return options


def _call(args: argparse.Namespace) -> None:
    if args.http:
        from ._cli_http import call_http

        call_http(args, _attachments(args.attachment))
        return
    address, path, query = _target(args.url)
    service, _, method_name = path.rpartition("/")
    if not service or not method_name:
        raise RpcError(INVALID_ARGUMENT, f"expected tri://host:port/pkg.Service/Method, got {args.url!r}")
    if args.hessian2:
        from ._cli_hessian2 import call_hessian2

        call_hessian2(args, _reference(args, address, service, query), method_name, _options(args))
        return
    pool, _ = _pool(args, address)
    method = _find_method(pool, service, method_name)
    messages = _Messages(method, pool)
    streams_requests = method.client_streaming
    if args.request in (None, "-"):
        requests: Iterator[Any] = messages.lines(sys.stdin) if streams_requests else iter(())
        single = None if streams_requests else messages.parse(sys.stdin.read() if args.request else "{}", "request")
    else:
        single = messages.parse(args.request, "request")
        requests = iter([single])

    reference = _reference(args, address, service, query)
    options = _options(args)
    with Client(reference) as client:
        factory = getattr(client, _FACTORIES[method.client_streaming, method.server_streaming])
        rpc = factory(method.name, messages.request.SerializeToString, messages.response.FromString)
        if options:
            rpc = rpc.with_options(**options)
        out = sys.stdout
        if not method.client_streaming:
            result = rpc(single)
            for response in result if method.server_streaming else (result,):
                messages.show(response, out)
        elif not method.server_streaming:
            call = rpc()
            failed: List[BaseException] = []
            _send(call, requests, failed)
            if failed:
                raise failed[0]
            messages.show(call.result(), out)
        else:
            call = rpc()
            failed = []
            threading.Thread(target=_send, args=(call, requests, failed), name="dubbo-cli-stdin", daemon=True).start()
            try:
                for response in call:
                    messages.show(response, out)
            except RpcError:
                if failed:  # recorded before the cancel that ended the call
                    raise failed[0] from None
                raise


# -- list, health -----------------------------------------------------------------------


def _signature(method: MethodDescriptor) -> str:
    request = ("stream " if method.client_streaming else "") + method.input_type.full_name
    response = ("stream " if method.server_streaming else "") + method.output_type.full_name
    return f"  rpc {method.name}({request}) returns ({response})"


def _list(args: argparse.Namespace) -> None:
    address, path, _ = _target(args.url)
    pool, services = _pool(args, address)
    names = [path] if path else services()
    for name in names:
        print(name)
        try:
            service = _find_service(pool, name)
        except RpcError:
            if path:
                raise
            continue  # listed by reflection without descriptors
        for method in service.methods:
            print(_signature(method))
    sys.stdout.flush()


def _health(args: argparse.Namespace) -> None:
    address, path, _ = _target(args.url)
    health_pb2 = _import("grpc_health.v1.health_pb2", "cli")
    health_pb2_grpc = _import("grpc_health.v1.health_pb2_grpc", "cli")
    with _channel(args, address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=path), timeout=args.timeout or 10.0
            )
        except grpc.RpcError as error:
            failure = RpcError.from_grpc(error)
            if failure.code() is grpc.StatusCode.NOT_FOUND and not failure.message:
                raise RpcError(failure.code(), f"the server reports no health status for service {path}") from None
            raise failure from None
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        raise RpcError(grpc.StatusCode.UNAVAILABLE, f"{path or 'the server'} is {status}")


# -- providers --------------------------------------------------------------------------


def provider_record(node: str) -> Dict[str, Any]:
    """What one ZooKeeper provider node says, decoded from its name (Java's ``URLEncoder`` form)."""
    url = URL.parse(decode(node))
    methods = url.get("methods")
    return {
        "url": decode(node),
        "protocol": url.protocol,
        "address": url.address,
        "service": url.interface,
        "version": url.get("version"),
        "group": url.get("group"),
        "application": url.get("application"),
        "methods": methods.split(",") if methods else [],
        "parameters": dict(url.parameters),
        "level": "interface",
    }


def _application_records(zk: Any, root: str, services_root: str, service: str) -> List[Dict[str, Any]]:
    """The service's application-level providers: mapped applications' instances, with their metadata."""
    from ._registry.applications import ApplicationReader

    consumer = URL("consumer", "", 0, service, {"interface": service, "version": "*", "group": "*"})
    reader = ApplicationReader(zk, root, services_root, consumer)
    records = []
    for app in reader.applications():
        for url in reader.providers(reader.instances(app))[0]:
            record = provider_record(encode(url.to_full_string()))
            record.update(level="application", application=app)
            records.append(record)
    return records


def _list_services(zk: Any, root: str, services_root: str) -> None:
    """Each service with its interface-level providers and the application instances mapped to it."""
    names = set(zk.get_children(root) if zk.exists(root) else [])
    mapped = set(zk.get_children(f"{root}/mapping") if zk.exists(f"{root}/mapping") else [])
    for name in sorted(names | mapped):
        line = []
        if zk.exists(f"{root}/{name}/providers"):
            count = len(zk.get_children(f"{root}/{name}/providers"))
            line.append(f"{count} provider{'s' if count != 1 else ''}")
        if name in mapped:
            apps = app_names(zk.get(f"{root}/mapping/{name}")[0].decode("utf-8", "replace"))
            count = sum(len(zk.get_children(f"{services_root}/{a}")) for a in apps if zk.exists(f"{services_root}/{a}"))
            line.append(f"{count} instance{'s' if count != 1 else ''} of {','.join(apps)}")
        if line:
            print(f"{decode(name)}\t{', '.join(line)}")


def _providers(args: argparse.Namespace) -> None:
    registry = RegistryConfig.from_url(args.url)
    service = urllib.parse.urlsplit(args.url).path.strip("/")
    kazoo_client = _import("kazoo.client", "registry")
    kazoo_exceptions = _import("kazoo.exceptions", "registry")
    kazoo_handlers = _import("kazoo.handlers.threading", "registry")
    # kazoo logs every failed connection attempt; the one line below says what matters.
    logging.getLogger("kazoo").setLevel(logging.CRITICAL + 1)
    hosts = ",".join(registry.addresses)
    auth = [("digest", f"{registry.username}:{registry.password}")] if registry.username else None
    zk = kazoo_client.KazooClient(hosts=hosts, auth_data=auth, timeout=args.timeout)
    try:
        zk.start(timeout=args.timeout)
    except kazoo_handlers.KazooTimeoutError:
        zk.close()
        raise unreachable(hosts, f"no answer within {args.timeout:.1f} s") from None
    except Exception as error:  # e.g. a refused authentication
        zk.close()
        raise unreachable(hosts, str(error) or type(error).__name__) from None
    root = "/" + registry.group.strip("/")
    try:
        if not service:
            _list_services(zk, root, services_root_of(registry.group))
            return
        try:
            nodes = zk.get_children(f"{root}/{service}/providers")
        except kazoo_exceptions.NoNodeError:
            nodes = []
        records = [provider_record(node) for node in sorted(nodes)]
        records += _application_records(zk, root, services_root_of(registry.group), service)
        shown = 0
        for record in records:
            if args.service_version and record["version"] != args.service_version:
                continue
            if args.group and record["group"] != args.group:
                continue
            if args.json:
                print(json.dumps(record))
            elif record["level"] == "application":
                print(f"{record['url']}\t(instance of {record['application']})")
            else:
                print(record["url"])
            shown += 1
        if not shown:
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"no providers of {service} in {root} at {','.join(registry.addresses)}")
    finally:
        zk.stop()
        zk.close()
        sys.stdout.flush()


def _qos(args: argparse.Namespace) -> None:
    """Ask a QoS port; a probe that says false (HTTP 503) exits UNAVAILABLE, as an unreachable port does."""
    import urllib.error
    import urllib.request

    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/{args.qos_command}"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            sys.stdout.write(response.read().decode())
    except urllib.error.HTTPError as error:
        answer = error.read().decode()
        sys.stdout.write(answer)
        code = grpc.StatusCode.UNAVAILABLE if error.code == 503 else grpc.StatusCode.UNIMPLEMENTED
        raise RpcError(code, f"{args.qos_command}: HTTP {error.code} {answer.strip()}") from None
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise RpcError(grpc.StatusCode.UNAVAILABLE, f"QoS port {host}:{args.port} is unreachable ({reason})") from None


# -- entry points -----------------------------------------------------------------------

_COMMANDS = {"call": _call, "list": _list, "health": _health, "providers": _providers, "qos": _qos}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; returns the exit code (the gRPC status code, 0 for OK)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # argparse gives ``call``'s request argument up once options follow the URL, so take it back.
    if extra and args.command == "call" and args.request is None and len(extra) == 1 and not extra[0].startswith("-"):
        args.request, extra = extra[0], []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        _COMMANDS[args.command](args)
    except RpcError as error:
        print(f"{error.code().name}: {error.message}", file=sys.stderr)
        return error.code().value[0]
    except KeyboardInterrupt:
        return grpc.StatusCode.CANCELLED.value[0]
    except BrokenPipeError:  # output piped into ``head``
        return 0
    return 0


def run() -> None:
    """The ``dubbo`` console script."""
    sys.exit(main())
