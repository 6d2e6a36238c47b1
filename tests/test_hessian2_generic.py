"""Java's generic invocation served (dubbo/hessian2/generic.py): ``$invoke`` on a Python wrapper-mode provider.

Java's own ``$invoke`` bytes against it are in test_hessian2_wrapper.py; here our ``hessian2.GenericService``
calls it over real sockets, sync and asyncio, on either server, and realize/generalize are checked alone.
"""

from __future__ import annotations

import datetime
import enum
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

import grpc
import pytest
from aio_support import aio_test
from aio_support import connect as aio_connect

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, hessian2
from dubbo.hessian2 import JAVA_TYPE, JavaObject, generalize, realize
from java_handlers import hello

SERVICE = "org.example.Greeter"
STRING = "java.lang.String"
USER = "org.example.User"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@hessian2.java_class("org.example.Color")
class Color(enum.Enum):
    RED = 1
    GREEN = 2


@hessian2.java_class(USER)
@dataclass
class User:
    name: str
    age: int = 0
    color: Optional[Color] = field(default=None, metadata={JAVA_TYPE: "org.example.Color"})


@hessian2.java_class("org.example.Team")
@dataclass
class Team:
    lead: Optional[User] = field(default=None, metadata={JAVA_TYPE: USER})
    members: List[Any] = field(default_factory=list)


@hessian2.java_class("org.example.Tag")
@dataclass(frozen=True)
class Tag:
    name: str


CLASSES = {"org.example.Color": Color, USER: User, "org.example.Team": Team}


# -- a wrapper-mode provider, with sync, async or mixed handlers ---------------------------------------------


def times(args):
    return " ".join([hello(args[:1])] * args[1])


def register(args):
    (user,) = args
    assert isinstance(user, User), user
    return User(user.name.upper(), user.age + 1, user.color)


def as_async(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def run(args):
        return fn(args)

    return run


def greeter(style: str = "sync") -> RpcServiceHandler:
    """sayHello(String), sayHello(String, int), register(User) -> User, and a server stream; ``style`` says
    whether the unary handlers are ``def``, ``async def``, or sayHello one and register the other (mixed)."""
    say = (as_async if style == "async" else lambda fn: fn)
    reg = (as_async if style in ("async", "mixed") else lambda fn: fn)

    def words(stream):
        yield from stream.read().split()

    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(hessian2.overloads({(STRING,): say(hello), (STRING, "int"): say(times)}), "sayHello",
                               hessian2.request_deserializer, hessian2.ResponseSerializer(STRING)),
        RpcMethodHandler.unary(reg(register), "register", hessian2.RequestDeserializer([User, Color]),
                               hessian2.response_serializer),
        RpcMethodHandler.server_stream(words, "words", hessian2.request_deserializer, hessian2.response_serializer),
    ])  # fmt: skip


def url_of(server: Any) -> str:
    return f"tri://127.0.0.1:{server.port}/{SERVICE}"


ANN = {"class": USER, "name": "ann", "age": 30, "color": "GREEN"}
ANN_REGISTERED = {"class": USER, "name": "ANN", "age": 31, "color": "GREEN"}


# -- our GenericService, our provider ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["sync", "async", "mixed"])
def test_generic_service_calls_a_python_provider_by_method_name_types_and_pojo_maps(any_serve, connect, style):
    generic = hessian2.GenericService(connect(url_of(any_serve(greeter(style)))))
    assert generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"
    assert generic.invoke("sayHello", [STRING, "int"], ["ann", 2]) == "Hello, ann! Hello, ann!"
    assert generic.invoke("register", [USER], [ANN]) == ANN_REGISTERED
    assert generic.invoke("register", [USER], [{"name": "ann", "age": 30}]) == {**ANN_REGISTERED, "color": None}
    assert generic.invoke("register", [USER], [User("ann", 30, Color.GREEN)]) == ANN_REGISTERED


@pytest.mark.parametrize("style", ["sync", "async"])
@aio_test
async def test_an_asyncio_generic_service_calls_a_python_provider(any_serve, style):
    async with aio_connect(url_of(any_serve(greeter(style)))) as client:
        generic = hessian2.GenericService(client)
        assert await generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"
        assert await generic.invoke("register", [USER], [ANN]) == ANN_REGISTERED
        with pytest.raises(hessian2.JavaException, match="name must not be empty"):
            await generic.invoke("sayHello", [STRING], [""])


def test_generic_service_sends_parameterized_types_erased_as_java_matches_them(serve, connect):
    echo_types = RpcMethodHandler.unary(
        lambda args: [list(args.types), args[0]], "total", hessian2.request_deserializer, hessian2.response_serializer
    )
    generic = hessian2.GenericService(connect(url_of(serve(RpcServiceHandler(SERVICE, [echo_types])))))
    assert generic.invoke("total", ["java.util.List<java.lang.Long>"], [[1, 2]]) == [["java.util.List"], [1, 2]]


def test_a_generic_call_takes_and_gives_local_dates_as_java_strings(serve, connect):
    def next_day(args):
        (day,) = args
        assert isinstance(day, datetime.date), day
        return day + datetime.timedelta(days=1)

    method = RpcMethodHandler.unary(next_day, "nextDay", hessian2.request_deserializer, hessian2.response_serializer)
    generic = hessian2.GenericService(connect(url_of(serve(RpcServiceHandler(SERVICE, [method])))))
    assert generic.invoke("nextDay", ["java.time.LocalDate"], ["2024-02-28"]) == "2024-02-29"


def test_the_invoke_async_path_is_served_as_invoke(any_serve, connect):
    client = connect(url_of(any_serve(greeter())))
    ser = hessian2.request_serializer(STRING, "[Ljava.lang.String;", "[Ljava.lang.Object;")
    invoke_async = client.unary("$invokeAsync", ser, hessian2.response_deserializer)
    assert invoke_async.with_options(attachments={"generic": "true"})("register", [USER], [ANN]) == ANN_REGISTERED


def test_without_a_generic_attachment_the_call_is_generic_true_as_in_java(serve, connect):
    client = connect(url_of(serve(greeter())))
    ser = hessian2.request_serializer(STRING, "[Ljava.lang.String;", "[Ljava.lang.Object;")
    assert client.unary("$invoke", ser, hessian2.response_deserializer)("register", [USER], [ANN]) == ANN_REGISTERED


def test_generic_raw_return_gives_the_result_as_it_is(any_serve, connect):
    generic = hessian2.GenericService(connect(url_of(any_serve(greeter()))), classes=[User, Color])
    raw = generic.with_options(attachments={"generic": "raw.return"})
    assert raw.invoke("register", [USER], [ANN]) == User("ANN", 31, Color.GREEN)


# -- what goes wrong, and the server serving on ---------------------------------------------------------------


def test_an_unknown_method_is_thrown_as_javas_generic_filter_throws_it(any_serve, connect):
    generic = hessian2.GenericService(connect(url_of(any_serve(greeter()))))
    with pytest.raises(hessian2.JavaException) as raised:
        generic.invoke("sayHi", [STRING], ["world"])
    assert (raised.value.java_class, raised.value.java_message) == (
        "org.apache.dubbo.rpc.RpcException", f"No such method sayHi in class interface {SERVICE}",
    )  # fmt: skip
    assert raised.value.code() is grpc.StatusCode.UNKNOWN
    assert generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"


def test_types_no_overload_takes_are_unimplemented_naming_them(any_serve, connect):
    generic = hessian2.GenericService(connect(url_of(any_serve(greeter()))))
    with pytest.raises(dubbo.RpcError) as raised:
        generic.invoke("sayHello", ["int"], [1])
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "no overload takes (int)" in raised.value.details()
    assert generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"


@pytest.mark.parametrize("mode", ["bean", "gson", "nativejava", "protobuf-json", "false"])
def test_a_generic_mode_not_served_is_unimplemented_naming_the_mode(any_serve, connect, mode):
    generic = hessian2.GenericService(connect(url_of(any_serve(greeter()))))
    with pytest.raises(dubbo.RpcError) as raised:
        generic.with_options(attachments={"generic": mode}).invoke("sayHello", [STRING], ["world"])
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert f"generic={mode} is not supported" in raised.value.details()
    assert generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"


def test_malformed_generic_calls_get_clear_errors_and_the_server_keeps_serving(any_serve, connect):
    client = connect(url_of(any_serve(greeter())))
    invoke = client.unary(
        "$invoke", hessian2.request_serializer(STRING, "[Ljava.lang.String;", "[Ljava.lang.Object;"),
        hessian2.response_deserializer,
    )  # fmt: skip
    with pytest.raises(hessian2.JavaException, match=r"args.length != types.length: 0 arguments for 1"):
        invoke("sayHello", [STRING], [])
    with pytest.raises(hessian2.JavaException, match=r"words of org.example.Greeter is a server_stream method"):
        invoke("words", [STRING], ["a b"])
    with pytest.raises(hessian2.JavaException, match="No enum constant org.example.Color.BLUE"):
        invoke("register", [USER], [{**ANN, "color": "BLUE"}])
    shapes = [((STRING, "int"), ("sayHello", 1)), ((STRING, "java.lang.Object", "int"), ("sayHello", [1], 2))]
    for types, args in shapes:
        with pytest.raises(dubbo.RpcError) as raised:
            client.unary("$invoke", hessian2.request_serializer(*types), hessian2.response_deserializer)(*args)
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert raised.value.details().startswith("$invoke takes (String method, String[] parameterTypes")
    assert invoke("sayHello", [STRING], ["world"]) == "Hello, world!"


def test_only_services_with_wrapper_mode_handlers_answer_invoke_and_a_declared_invoke_stays(serve, connect):
    def own_invoke(args):
        return "mine"

    plain = RpcServiceHandler("demo.Plain", [RpcMethodHandler.unary(lambda request: request, "echo")])
    declared = RpcServiceHandler("demo.Declared", [
        RpcMethodHandler.unary(own_invoke, "$invoke", hessian2.request_deserializer, hessian2.response_serializer),
    ])  # fmt: skip
    server = serve(plain, declared)
    with pytest.raises(dubbo.RpcError) as raised:
        connect(f"tri://127.0.0.1:{server.port}/demo.Plain").unary("$invoke")(b"")
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
    generic = hessian2.GenericService(connect(f"tri://127.0.0.1:{server.port}/demo.Declared"))
    assert generic.invoke("anything", [], []) == "mine"


def test_interceptors_see_the_generic_call_once_as_invoke(serve, connect):
    seen = []

    class Record(dubbo.Interceptor):
        def on_call(self, call):
            seen.append(call.method)

    generic = hessian2.GenericService(connect(url_of(serve(greeter(), interceptors=[Record()]))))
    assert generic.invoke("sayHello", [STRING], ["world"]) == "Hello, world!"
    assert seen == [f"/{SERVICE}/$invoke"]


SERVER = textwrap.dedent(
    """
    import sys
    from dubbo import RpcMethodHandler, RpcServiceHandler, Server, ServiceConfig, hessian2

    def hello(args):
        return f"Hello, {args[0]}!"

    service = RpcServiceHandler("org.example.Greeter", [
        RpcMethodHandler.unary(hello, "sayHello", hessian2.request_deserializer, hessian2.response_serializer),
    ])
    server = Server(ServiceConfig(service, host="127.0.0.1", port=0), processes=2).start()
    print(server.port, flush=True)
    server.run_until_signal(grace=5)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes= needs Linux (SO_REUSEPORT)")
def test_worker_processes_answer_invoke_too(connect):
    with subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            port = int(process.stdout.readline())
            generic = hessian2.GenericService(connect(f"tri://127.0.0.1:{port}/{SERVICE}"))
            replies = [generic.invoke("sayHello", [STRING], [str(n)]) for n in range(4)]
            assert replies == [f"Hello, {n}!" for n in range(4)]
        finally:
            process.terminate()
            process.wait(30)


# -- realize and generalize, as Java's PojoUtils ---------------------------------------------------------------


def test_realize_makes_class_maps_and_declared_maps_the_bound_classes_throughout():
    team = {
        "class": "org.example.Team",
        "lead": {"name": "ann", "color": "RED"},  # no "class": the field's declared type says User
        "members": [{"class": USER, "name": "bob", "age": 7}, {"class": "org.example.Other", "x": 1}],
    }
    assert realize(team, None, CLASSES) == Team(
        User("ann", 0, Color.RED), [User("bob", 7), {"class": "org.example.Other", "x": 1}]
    )
    assert realize("GREEN", "org.example.Color", CLASSES) is Color.GREEN
    assert realize({"class": "org.example.Color", "name": "RED"}, None, CLASSES) is Color.RED
    assert realize([{"name": "c"}], "[Lorg.example.User;", CLASSES) == [User("c")]
    assert realize(JavaObject(USER, {"name": "d", "age": 4}), None, CLASSES) == User("d", 4)
    assert realize({"class": USER, "name": "e"}) == {"class": USER, "name": "e"}  # no bound class: a map stays


def test_realize_follows_type_arguments_into_elements_keys_and_values():
    assert realize([{"name": "a"}], "java.util.List<org.example.User>", CLASSES) == [User("a")]
    by_name = realize({"x": {"name": "b"}}, "java.util.Map<java.lang.String, org.example.User>", CLASSES)
    assert by_name == {"x": User("b")}
    assert realize([["GREEN"]], "java.util.List<java.util.List<org.example.Color>>", CLASSES) == [[Color.GREEN]]


@pytest.mark.parametrize(
    "value, text",
    [
        (datetime.date(2024, 1, 15), "2024-01-15"),
        (datetime.date(5, 3, 1), "0005-03-01"),
        (datetime.datetime(2024, 1, 15, 10, 20), "2024-01-15T10:20"),
        (datetime.datetime(2024, 1, 15, 10, 20, 30), "2024-01-15T10:20:30"),
        (datetime.datetime(2024, 1, 15, 10, 20, 0, 500_000), "2024-01-15T10:20:00.500"),
        (datetime.datetime(2024, 1, 15, 10, 20, 30, 123_456), "2024-01-15T10:20:30.123456"),
        (datetime.time(0, 0), "00:00"),
    ],
)
def test_local_dates_and_times_generalize_to_javas_to_string(value, text):
    # the texts are what Java 17's LocalDate/LocalDateTime/LocalTime.toString() print for the same values
    assert generalize(value) == text
    java_type = {datetime.date: "java.time.LocalDate", datetime.datetime: "java.time.LocalDateTime"}.get(
        type(value), "java.time.LocalTime"
    )
    assert realize(text, java_type) == value


def test_an_instant_stays_an_instant_when_generalized():
    instant = datetime.datetime(2024, 1, 15, tzinfo=datetime.timezone.utc)
    assert generalize(instant) is instant


def test_realize_parses_java_time_strings_as_javas_compatible_type_utils_and_refuses_others():
    assert realize("10:20:30.123456789", "java.time.LocalTime") == datetime.time(10, 20, 30, 123456)
    assert realize("2024-01-15T10:20", "java.time.LocalTime") == datetime.time(10, 20)
    for text, java_type in (("15/01/2024", "java.time.LocalDate"), ("2024-01-15T10:20+01:00", "java.time.LocalDateTime")):
        with pytest.raises(hessian2.HessianError, match=f"is not a {java_type}"):
            realize(text, java_type)


def test_realize_keeps_shared_and_circular_references():
    shared = {"class": USER, "name": "ann"}
    members = realize([shared, shared], None, CLASSES)
    assert members[0] is members[1]
    loop: dict = {"class": "org.example.Team", "members": []}
    loop["members"].append(loop)
    team = realize(loop, None, CLASSES)
    assert team.members[0] is team


def test_generalize_gives_objects_as_maps_with_class_as_javas_generic_consumer_reads_them():
    team = Team(User("ann", 30, Color.GREEN), [User("bob"), JavaObject("org.example.Other", {"x": (1, 2)})])
    assert generalize(team) == {
        "class": "org.example.Team",
        "lead": {"class": USER, "name": "ann", "age": 30, "color": "GREEN"},
        "members": [
            {"class": USER, "name": "bob", "age": 0, "color": None},
            {"class": "org.example.Other", "x": [1, 2]},
        ],
    }
    assert generalize({"k": Color.RED}) == {"k": "RED"}
    assert generalize({Color.RED, "x"}) == {"RED", "x"}
    assert generalize({Tag("new")}) == [{"class": "org.example.Tag", "name": "new"}]
    assert [generalize(v) for v in ("s", 1, 2.5, None, b"x")] == ["s", 1, 2.5, None, b"x"]
    bound_only = Team(User("ann", 30, Color.GREEN), [User("bob")])
    assert realize(generalize(bound_only), None, CLASSES) == bound_only


def test_generalize_keeps_circular_references():
    node = JavaObject("org.example.Node")
    node["next"] = node
    result = generalize(node)
    assert result["next"] is result
