"""Triple's wrapper mode against Java's own messages: a Java-shaped provider and consumer.

tests/java/TriplePeer.java writes requests and responses exactly as a Java consumer and provider do (Caucho's
Hessian, TripleCustomerProtocolWrapper's layout), and reads what ours send as Java would. A raw grpcio server
answers our clients with Java's bytes, and a raw grpcio channel sends Java's requests to our servers, so nothing
on the Java side comes from our own codec.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import subprocess
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Tuple

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from aio_support import aio_test

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, aio, hessian2
from dubbo.hessian2 import wrapper
from java_handlers import hello

PEER = pathlib.Path(__file__).resolve().parent / "java" / "TriplePeer.java"
RPC_EXCEPTION = PEER.parent / "org" / "apache" / "dubbo" / "rpc" / "RpcException.java"  # Dubbo's, for Hessian
JARS = ("/usr/share/java/hessian.jar", "/usr/share/java/hessian-4.0.38.jar")
JAVA_OPTS = [f"--add-opens=java.base/{pkg}=ALL-UNNAMED" for pkg in ("java.lang", "java.util")]
SERVICE = "org.example.peer.Greeter"
STRING = "java.lang.String"


@hessian2.java_class("org.example.peer.User")
@dataclass
class User:
    name: str
    age: int


# -- the Java peer ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def peer(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TriplePeer compiled against Caucho's jar, once per session; its classpath."""
    jar = next((j for j in JARS if os.path.exists(j)), None)
    if jar is None or not (shutil.which("java") and shutil.which("javac")):
        pytest.skip("needs libhessian-java and a JDK (tests/debian-packages.txt)")
    out = tmp_path_factory.mktemp("triple-peer")
    sources = [str(PEER), str(RPC_EXCEPTION)]
    done = subprocess.run(["javac", "-nowarn", "-cp", jar, "-d", str(out), *sources], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return f"{out}{os.pathsep}{jar}"


def _java(classpath: str, mode: str, stdin: str = "") -> List[str]:
    done = subprocess.run(
        ["java", *JAVA_OPTS, "-cp", classpath, "org.example.peer.TriplePeer", mode],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.fixture(scope="session")
def java(peer: str) -> Dict[str, bytes]:
    """Each message as Java writes it, by name (see TriplePeer.messages)."""
    return {name: bytes.fromhex(hexed) for name, hexed in (line.split("\t") for line in _java(peer, "write"))}


@pytest.fixture(scope="session")
def java_reads(peer: str):
    """What Java reads from wrapper messages: ``serializeType [types] [values]`` for each."""
    return lambda *messages: _java(peer, "read", "".join(m.hex() + "\n" for m in messages))


# -- a Java-shaped provider: a raw grpcio server answering with Java's bytes -------------------------------


class JavaProvider(grpc.GenericRpcHandler):
    """Answers every method with ``reply`` (and ``headers``) in the mode its name says, recording what it got."""

    def __init__(self) -> None:
        self.reply = b""
        self.headers: Tuple[Tuple[str, str], ...] = ()
        self.received: List[bytes] = []
        self.metadata: Dict[str, str] = {}

    def _answer(self, context: grpc.ServicerContext) -> bytes:
        self.metadata = dict(context.invocation_metadata())
        if self.headers:
            context.send_initial_metadata(self.headers)
        return self.reply

    def unary(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.received.append(request)
        return self._answer(context)

    def client_stream(self, requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        self.received.extend(requests)
        return self._answer(context)

    def server_stream(self, request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        self.received.append(request)
        yield self._answer(context)
        yield self.reply

    def bidi_stream(self, requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        for request in requests:
            self.received.append(request)
            yield self._answer(context)

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        mode = details.method.rsplit("/", 1)[1]
        if mode == "clientStream":
            return grpc.stream_unary_rpc_method_handler(self.client_stream)
        if mode == "serverStream":
            return grpc.unary_stream_rpc_method_handler(self.server_stream)
        if mode == "biStream":
            return grpc.stream_stream_rpc_method_handler(self.bidi_stream)
        return grpc.unary_unary_rpc_method_handler(self.unary)


@pytest.fixture
def provider(java) -> Iterator[Tuple[JavaProvider, str]]:
    """A Java-shaped provider replying Java's "Hello, world!", and its URL."""
    provider = JavaProvider()
    provider.reply = java["reply"]
    server = grpc.server(futures.ThreadPoolExecutor(4))
    server.add_generic_rpc_handlers((provider,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield provider, f"tri://127.0.0.1:{port}/{SERVICE}"
    server.stop(0)


def say_hello(client: Any) -> Any:
    return client.unary("sayHello", hessian2.request_serializer(STRING), hessian2.response_deserializer)


# -- our client, Java's provider -----------------------------------------------------------------------------


def test_a_call_sends_each_argument_as_java_serializes_it_for_its_declared_type(provider, connect, java):
    server, url = provider
    call = connect(url).unary("sayHelloTimes", hessian2.request_serializer(STRING, "int"), hessian2.response_deserializer)
    call("ann", 3)
    assert wrapper.decode_request(server.received[0])[1:] == wrapper.decode_request(java["sayHelloTimes"])[1:]


def test_a_pojo_argument_is_sent_as_java_writes_the_pojo(provider, connect, java):
    server, url = provider
    connect(url).unary("register", hessian2.request_serializer("org.example.peer.User"), hessian2.response_deserializer)(
        User("ann", 30)
    )
    assert wrapper.decode_request(server.received[0])[1:] == wrapper.decode_request(java["register"])[1:]


def test_an_array_argument_is_sent_as_java_writes_its_array_type(provider, connect, java):
    server, url = provider
    connect(url).unary("names", hessian2.request_serializer("[Ljava.lang.String;"), hessian2.response_deserializer)(
        ["a", "b"]
    )
    assert wrapper.decode_request(server.received[0])[1:] == wrapper.decode_request(java["names"])[1:]


def test_a_java_provider_reads_our_request_as_its_arguments(provider, connect, java_reads):
    server, url = provider
    say_hello(connect(url))("world")
    assert java_reads(server.received[0]) == ["hessian2 [java.lang.String] [String:world]"]


def test_a_java_providers_reply_is_the_calls_result(provider, connect):
    _, url = provider
    assert say_hello(connect(url))("world") == "Hello, world!"


def test_a_java_pojo_reply_becomes_the_bound_dataclass(provider, connect, java):
    server, url = provider
    server.reply = java["replyUser"]
    call = connect(url).unary("get", hessian2.request_serializer(), hessian2.ResponseDeserializer([User]))
    assert call() == User("ann", 30)


def test_a_java_providers_thrown_exception_raises_java_exception_naming_its_class_and_message(provider, connect, java):
    server, url = provider
    server.reply, server.headers = java["thrown"], (("tri-exception-code", "3"),)
    with pytest.raises(hessian2.JavaException) as raised:
        say_hello(connect(url))("")
    error = raised.value
    assert (error.java_class, error.java_message) == ("java.lang.IllegalArgumentException", "name must not be empty")
    assert (error.code(), error.details(), error.exception_code) == (
        grpc.StatusCode.UNKNOWN, "java.lang.IllegalArgumentException: name must not be empty", 3,
    )  # fmt: skip
    assert isinstance(error, dubbo.RpcError)


def test_a_thrown_exception_is_raised_by_futures_and_with_call_too(provider, connect, java):
    server, url = provider
    server.reply, server.headers = java["thrown"], (("tri-exception-code", "3"),)
    call = say_hello(connect(url))
    with pytest.raises(hessian2.JavaException):
        call.future("").result()
    with pytest.raises(hessian2.JavaException):
        call.with_call("")


def test_a_zero_exception_code_is_a_normal_reply(provider, connect):
    server, url = provider
    server.headers = (("tri-exception-code", "0"),)
    assert say_hello(connect(url))("world") == "Hello, world!"


def test_streaming_calls_send_one_single_argument_wrapper_per_message(provider, connect, java):
    server, url = provider
    client = connect(url)
    ser, de = hessian2.request_serializer(STRING), hessian2.response_deserializer
    assert client.client_stream("clientStream", ser, de)(["world", "world"]).read() == "Hello, world!"
    assert list(client.server_stream("serverStream", ser, de)("world")) == ["Hello, world!"] * 2
    assert list(client.bidi_stream("biStream", ser, de)(["world"])) == ["Hello, world!"]
    assert server.received == [java["sayHello"].replace(b"hessian4", b"hessian2")] * 4


@aio_test
async def test_asyncio_calls_speak_wrapper_mode_in_all_four_modes(provider, java):
    server, url = provider
    ser, de = hessian2.request_serializer(STRING), hessian2.response_deserializer
    async with aio.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        assert await client.unary("sayHello", ser, de)("world") == "Hello, world!"
        assert await client.client_stream("clientStream", ser, de)(["world"]) == "Hello, world!"
        assert [r async for r in client.server_stream("serverStream", ser, de)("world")] == ["Hello, world!"] * 2
        assert [r async for r in client.bidi_stream("biStream", ser, de)(["world"])] == ["Hello, world!"]
        server.reply, server.headers = java["thrown"], (("tri-exception-code", "3"),)
        with pytest.raises(hessian2.JavaException, match="name must not be empty"):
            await client.unary("sayHello", ser, de)("")


def test_a_java_service_stub_calls_each_method_by_its_signature(provider, connect):
    _, url = provider
    stub = hessian2.JavaService(connect(url), {"sayHello": ([STRING], STRING)})
    assert stub.sayHello("world") == "Hello, world!"


def test_generic_invocation_sends_what_javas_generic_service_sends(provider, connect, java):
    server, url = provider
    result = hessian2.GenericService(connect(url)).invoke("sayHello", [STRING], ["world"])
    assert result == "Hello, world!"
    assert server.received[0].endswith(java["invoke"][len(b"\x0a\x08hessian4") :])
    assert server.metadata["generic"] == "true"


def test_calls_with_idl_deserializers_do_not_read_response_headers(provider, connect):
    _, url = provider
    client = connect(url)
    assert type(client.unary("sayHello")).__name__ == "UnaryCallable"
    assert type(say_hello(client)).__name__ == "ThrowingUnaryCallable"


# -- Java's consumer, our server -----------------------------------------------------------------------------


def greeter(fn=None) -> RpcServiceHandler:
    def chat(stream):
        for name in stream:
            yield f"Hello, {name}!"

    def gather(names):
        return f"Hello, {' and '.join(names)}!"

    def words(stream):
        yield from stream.read().split()

    codecs = (hessian2.request_deserializer, hessian2.ResponseSerializer(STRING))
    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(fn or hello, "sayHello", *codecs),
        RpcMethodHandler.bi_stream(chat, "biStream", *codecs),
        RpcMethodHandler.client_stream(gather, "clientStream", *codecs),
        RpcMethodHandler.server_stream(words, "serverStream", *codecs),
    ])  # fmt: skip


@pytest.fixture
def channel() -> Iterator[Any]:
    """Raw grpcio channels (as a Java consumer's connection), closed at the end."""
    channels: List[grpc.Channel] = []

    def open_(server: Any) -> grpc.Channel:
        channels.append(grpc.insecure_channel(f"127.0.0.1:{server.port}"))
        return channels[-1]

    yield open_
    for opened in channels:
        opened.close()


def call_raw(channel: grpc.Channel, message: bytes, method: str = "sayHello") -> Tuple[bytes, Any]:
    return channel.unary_unary(f"/{SERVICE}/{method}").with_call(message, timeout=5)


def test_a_java_consumers_request_reaches_the_handler_as_its_argument_list(any_serve, channel, java, java_reads):
    seen = []

    def hello(args):
        seen.append((list(args), args.types))
        return "Hello, world!"

    reply, _ = call_raw(channel(any_serve(greeter(hello))), java["sayHello"])
    assert seen == [(["world"], (STRING,))]
    assert java_reads(reply) == ["hessian2 [java.lang.String] [String:Hello, world!]"]


def test_a_handlers_exception_reaches_a_java_consumer_as_a_thrown_exception(any_serve, channel, java, java_reads):
    reply, call = call_raw(channel(any_serve(greeter())), java["sayHelloEmpty"])
    assert call.code() is grpc.StatusCode.OK
    assert ("tri-exception-code", "3") in call.initial_metadata()
    assert re.fullmatch(
        r"hessian2 \[java.lang.String\] \[throws java.lang.IllegalArgumentException: name must not be empty "
        r"\(cause none, \d+ frames, top java_handlers\.hello\(java_handlers\.py:\d+\)\)\]", java_reads(reply)[0]
    )  # the Python frames it went through, innermost first, as Java prints them


def test_any_other_exception_reaches_java_as_a_runtime_exception_naming_the_python_error(any_serve, channel, java, java_reads):
    def hello(args):
        raise KeyError("who")

    reply, call = call_raw(channel(any_serve(greeter(hello))), java["sayHello"])
    assert ("tri-exception-code", "3") in call.initial_metadata()
    assert re.search(
        r"\[throws java.lang.RuntimeException: KeyError: 'who' \(cause none, \d+ frames, "
        r"top test_hessian2_wrapper\.[\w.<>]+\.hello\(test_hessian2_wrapper\.py:\d+\)\)\]$", java_reads(reply)[0]
    )


def test_an_async_handlers_exception_is_thrown_the_same_way(any_serve, channel, java, java_reads):
    async def hello(args):
        raise hessian2.JavaException("java.lang.IllegalStateException", "not now")

    reply, call = call_raw(channel(any_serve(greeter(hello))), java["sayHello"])
    assert ("tri-exception-code", "3") in call.initial_metadata()
    assert "throws java.lang.IllegalStateException: not now" in java_reads(reply)[0]


def test_an_rpc_error_raised_by_a_handler_stays_a_status(serve, channel, java):
    def hello(args):
        raise dubbo.RpcError(grpc.StatusCode.PERMISSION_DENIED, "no")

    with pytest.raises(grpc.RpcError) as raised:
        call_raw(channel(serve(greeter(hello))), java["sayHello"])
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_java_overloads_are_told_apart_by_their_argument_types(any_serve, channel, java, java_reads):
    hello = hessian2.overloads({
        (STRING,): lambda args: f"Hello, {args[0]}!",
        (STRING, "int"): lambda args: " ".join([f"Hello, {args[0]}!"] * args[1]),
    })  # fmt: skip
    ch = channel(any_serve(greeter(hello)))
    assert java_reads(call_raw(ch, java["sayHello"])[0])[0].endswith("[String:Hello, world!]")
    assert java_reads(call_raw(ch, java["sayHelloTimes"])[0])[0].endswith("[String:Hello, ann! Hello, ann! Hello, ann!]")
    with pytest.raises(grpc.RpcError) as raised:
        call_raw(ch, java["register"])
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "org.example.peer.User" in raised.value.details()


def test_streaming_handlers_receive_each_messages_one_argument(any_serve, channel, java, java_reads):
    ch = channel(any_serve(greeter()))
    replies = list(ch.stream_stream(f"/{SERVICE}/biStream")(iter([java["sayHello"]] * 2), timeout=5))
    assert java_reads(*replies) == ["hessian2 [java.lang.String] [String:Hello, world!]"] * 2
    reply = ch.stream_unary(f"/{SERVICE}/clientStream")(iter([java["sayHello"]] * 2), timeout=5)
    assert java_reads(reply)[0].endswith("[String:Hello, world and world!]")
    words = list(ch.unary_stream(f"/{SERVICE}/serverStream")(java["sayHello"], timeout=5))
    assert java_reads(*words) == ["hessian2 [java.lang.String] [String:world]"]


def test_our_client_and_server_speak_wrapper_mode_in_all_four_modes_sync_and_asyncio(any_serve, connect):
    url = f"tri://127.0.0.1:{any_serve(greeter()).port}/{SERVICE}"
    ser, de = hessian2.request_serializer(STRING), hessian2.response_deserializer
    client = connect(url)
    assert say_hello(client)("ann") == "Hello, ann!"
    with pytest.raises(hessian2.JavaException, match="java.lang.IllegalArgumentException: name must not be empty"):
        say_hello(client)("")
    assert client.client_stream("clientStream", ser, de)(["a", "b"]).read() == "Hello, a and b!"
    assert list(client.server_stream("serverStream", ser, de)("a b")) == ["a", "b"]
    assert list(client.bidi_stream("biStream", ser, de)(["a"])) == ["Hello, a!"]

    async def asyncio_calls() -> None:
        async with aio.Client(dubbo.ReferenceConfig.from_url(url)) as aclient:
            assert await say_hello(aclient)("ann") == "Hello, ann!"
            with pytest.raises(hessian2.JavaException):
                await say_hello(aclient)("")
            assert [r async for r in aclient.bidi_stream("biStream", ser, de)(["a"])] == ["Hello, a!"]

    asyncio.run(asyncio_calls())


# -- Java's generic consumer (GenericService.$invoke, as gateways call), our server ----------------------------


def generic_greeter() -> RpcServiceHandler:
    """A wrapper-mode service with no ``$invoke`` of its own: overloaded sayHello, and register(User) -> User."""

    def register(args):
        (user,) = args
        assert isinstance(user, User), user
        return User(user.name.upper(), user.age + 1)

    overloaded = hessian2.overloads({
        (STRING,): hello,
        (STRING, "int"): lambda args: " ".join([hello(args[:1])] * args[1]),
    })  # fmt: skip
    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(overloaded, "sayHello", hessian2.request_deserializer, hessian2.ResponseSerializer(STRING)),
        RpcMethodHandler.unary(register, "register", hessian2.RequestDeserializer([User]), hessian2.response_serializer),
    ])  # fmt: skip


def invoke_raw(channel: grpc.Channel, message: bytes, method: str = "$invoke") -> Tuple[bytes, Any]:
    """A Java generic consumer's call: its ``generic`` attachment is a header."""
    return channel.unary_unary(f"/{SERVICE}/{method}").with_call(message, metadata=(("generic", "true"),), timeout=5)


@pytest.mark.parametrize("method", ["$invoke", "$invokeAsync"])
def test_a_java_generic_consumers_invoke_calls_the_named_method_and_java_reads_its_object_result(
    any_serve, channel, java, java_reads, method
):
    reply, call = invoke_raw(channel(any_serve(generic_greeter())), java["invoke"], method)
    assert call.code() is grpc.StatusCode.OK
    assert java_reads(reply) == ["hessian2 [java.lang.Object] [String:Hello, world!]"]


def test_a_java_generic_consumers_types_choose_the_overload(any_serve, channel, java, java_reads):
    reply, _ = invoke_raw(channel(any_serve(generic_greeter())), java["invokeTimes"])
    assert java_reads(reply) == ["hessian2 [java.lang.Object] [String:Hello, ann! Hello, ann! Hello, ann!]"]


@pytest.mark.parametrize("message", ["invokeUserMap", "invokeUser"])
def test_a_pojo_argument_reaches_the_handler_as_its_dataclass_and_the_pojo_result_reaches_java_as_a_map_with_class(
    any_serve, channel, java, java_reads, message
):
    reply, _ = invoke_raw(channel(any_serve(generic_greeter())), java[message])
    assert java_reads(reply) == ["hessian2 [java.lang.Object] [HashMap:{age=31, class=org.example.peer.User, name=ANN}]"]


def test_a_java_consumers_echo_gets_its_argument_back_as_javas_echo_service_answers(any_serve, channel, java, java_reads):
    reply, call = call_raw(channel(any_serve(generic_greeter())), java["echo"], "$echo")
    assert call.code() is grpc.StatusCode.OK
    assert java_reads(reply) == ["hessian2 [java.lang.Object] [org.example.peer.User(name=String:ann, age=Integer:30)]"]


def test_echo_takes_exactly_one_hessian_argument(serve, channel):
    ch = channel(serve(generic_greeter()))
    for args, problem in (([b"\x05world", b"\x91"], "takes one argument, not 2"), ([b"\x05wo"], "could not deserialize")):
        with pytest.raises(grpc.RpcError) as raised:
            call_raw(ch, wrapper.encode_request(args, ["java.lang.Object"] * len(args)), "$echo")
        assert raised.value.code() is grpc.StatusCode.INTERNAL and problem in raised.value.details()
    assert call_raw(ch, wrapper.encode_request([b"\x05world"], ["java.lang.Object"]), "$echo")[1].code() is grpc.StatusCode.OK


def test_an_unknown_method_is_thrown_at_a_java_generic_consumer_as_javas_generic_filter_throws_it(
    any_serve, channel, java, java_reads
):
    ch = channel(any_serve(generic_greeter()))
    reply, call = invoke_raw(ch, java["invokeUnknown"])
    assert call.code() is grpc.StatusCode.OK
    assert ("tri-exception-code", "3") in call.initial_metadata()
    assert re.fullmatch(
        r"hessian2 \[java.lang.Object\] \[throws org.apache.dubbo.rpc.RpcException: "
        rf"No such method sayHi in class interface {SERVICE} \(cause none, \d+ frames, top dubbo\.hessian2\.generic\..*\)\]",
        java_reads(reply)[0],
    )
    assert java_reads(invoke_raw(ch, java["invoke"])[0])[0].endswith("[String:Hello, world!]")


def test_a_handlers_exception_is_thrown_at_a_java_generic_consumer_as_at_any_java_consumer(
    any_serve, channel, java, java_reads
):
    reply, call = invoke_raw(channel(any_serve(generic_greeter())), java["invokeEmpty"])
    assert ("tri-exception-code", "3") in call.initial_metadata()
    assert re.fullmatch(
        r"hessian2 \[java.lang.Object\] \[throws java.lang.IllegalArgumentException: name must not be empty "
        r"\(cause none, \d+ frames, top java_handlers\.hello\(java_handlers\.py:\d+\)\)\]", java_reads(reply)[0]
    )


@pytest.mark.parametrize(
    "name, request_bytes, message",
    [
        ("garbage", b"\xff\xff\xff", "not a TripleRequestWrapper"),
        ("fastjson2", None, "Unexpected serialization type:fastjson2"),
        ("arg count", wrapper.encode_request([b"\x05world"], [STRING, "int"]), "1 arguments but 2 argTypes"),
        ("bad hessian", wrapper.encode_request([b"\x05wo"], [STRING]), "could not deserialize"),
    ],
)
def test_a_bad_wrapper_is_internal_naming_the_cause_and_the_server_keeps_serving(
    any_serve, channel, java, name, request_bytes, message
):
    ch = channel(any_serve(greeter()))
    with pytest.raises(grpc.RpcError) as raised:
        call_raw(ch, java["fastjson2"] if request_bytes is None else request_bytes)
    assert raised.value.code() is grpc.StatusCode.INTERNAL
    assert message in raised.value.details() and f"/{SERVICE}/sayHello" in raised.value.details()
    assert call_raw(ch, java["sayHello"])[1].code() is grpc.StatusCode.OK


def test_a_reply_in_another_serialization_fails_the_call(provider, connect, java):
    server, url = provider
    server.reply = java["reply"].replace(b"\x0a\x08hessian4", b"\x0a\x09fastjson2")
    with pytest.raises(dubbo.RpcError) as raised:
        say_hello(connect(url))("world")
    assert raised.value.code() is grpc.StatusCode.INTERNAL


def test_idl_handlers_are_not_adapted():
    def fn(request):
        return request

    assert RpcMethodHandler.unary(fn, "m").method is fn
    assert RpcMethodHandler.unary(fn, "m", hessian2.request_deserializer).method is not fn


def _read_both(fast, slow, data):
    """What reading ``data`` gives, or the error it raises, by one reader."""
    results = []
    for read in (fast, slow):
        try:
            results.append(read(data))
        except hessian2.HessianError as error:
            results.append(str(error))
    return results


@pytest.mark.parametrize(
    "data",
    [
        b"", b"\x0a", b"\x0a\x08hessian", b"\x0a\x02\xff\xfe", b"\x12\x80", b"\x12\x80\x01" + b"x" * 128,
        b"\x12\x80\x80\x01" + b"x" * 16384, b"\x12\xff\xff\xff\xff\xff\x01", b"\x22\x00", b"\x08\x01", b"\x8a\x00\x00",
        wrapper.encode_request([b"\x05world", b"\x91"], ["java.lang.String", "int"], "hessian4"),
        wrapper.encode_request([b"x" * 300], ["[B"]) + b"\x0a\x08fastjson", wrapper.encode_request([b"x" * 300], ["[B"]),
        wrapper.encode_request([b"x" * 16384], ["[B"]), wrapper.encode_response(b"y" * 200, "java.lang.String"),
        wrapper.encode_response(b"\x05world", "java.lang.String"), wrapper.encode_response(b"", ""),
    ],
)  # fmt: skip
def test_the_wrapper_readers_fast_path_reads_as_the_general_one(data):
    fast, general = _read_both(wrapper.decode_request, wrapper._decode_request, data)
    assert fast == general
    fast, general = _read_both(wrapper.decode_response, wrapper._decode_response, data)
    assert fast == general


@given(st.lists(st.tuples(st.sampled_from([0x0A, 0x12, 0x1A, 0x22, 0x08]), st.binary(max_size=200)), max_size=4))
def test_the_wrapper_readers_fast_path_reads_any_fields_as_the_general_one(fields):
    data = b"".join(bytes((key,)) + wrapper._varint(len(value)) + value for key, value in fields)
    for cut in (data, data[:-1]):
        assert len(set(map(repr, _read_both(wrapper.decode_request, wrapper._decode_request, cut)))) == 1
        assert len(set(map(repr, _read_both(wrapper.decode_response, wrapper._decode_response, cut)))) == 1


def test_a_stack_trace_sent_to_java_lists_the_innermost_frames_first_and_keeps_at_most_max_frames():
    def dive(depth):
        if depth == 0:
            raise ValueError("deep")
        dive(depth - 1)

    for depth, frames in ((2, 4), (wrapper.MAX_FRAMES + 10, wrapper.MAX_FRAMES)):
        try:
            dive(depth)
        except ValueError as error:
            trace = wrapper.stack_trace(error)
        assert len(trace) == frames
        top = trace[0].fields
        assert top["methodName"].endswith("dive") and top["fileName"] == "test_hessian2_wrapper.py"
        assert top["declaringClass"] == __name__ and top["lineNumber"] == dive.__code__.co_firstlineno + 2
