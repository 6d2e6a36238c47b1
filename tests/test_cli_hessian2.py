"""``dubbo call --hessian2``: Java interface methods called from the shell, against a real wrapper-mode server."""

from __future__ import annotations

import datetime
import json

import pytest

from dubbo import RpcMethodHandler, RpcServiceHandler, hessian2
from dubbo._cli import main
from java_handlers import hello

SERVICE = "org.example.Greeter"


def greeter_service() -> RpcServiceHandler:
    def register(args):
        (user,) = args
        return hessian2.JavaObject("org.example.Receipt", {"user": user["name"], "age": user["age"], "types": list(args.types)})

    def invoke(args):
        method, types, values = args
        return {"method": method, "types": types, "args": values}

    def echo_types(args):  # the types, and each argument's Python type and value as text
        return [list(args.types), *(f"{type(arg).__name__} {arg}" for arg in args)]

    def schedule(args):
        return [datetime.date(2024, 1, 15), datetime.time(9, 30), datetime.timedelta(minutes=90, microseconds=-1)]

    codecs = (hessian2.request_deserializer, hessian2.response_serializer)
    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(hello, "sayHello", *codecs),
        RpcMethodHandler.unary(schedule, "schedule", *codecs),
        RpcMethodHandler.unary(echo_types, "echo", *codecs),
        RpcMethodHandler.unary(register, "register", *codecs),
        RpcMethodHandler.unary(invoke, "$invoke", *codecs),
    ])  # fmt: skip


@pytest.fixture
def url(serve) -> str:
    return f"tri://127.0.0.1:{serve(greeter_service()).port}/{SERVICE}"


def test_call_sends_the_json_array_as_arguments_of_the_given_types(url, capsys):
    assert main(["call", f"{url}/sayHello", "--hessian2", "--types", "java.lang.String", '["world"]']) == 0
    assert json.loads(capsys.readouterr().out) == "Hello, world!"


def test_a_json_object_with_a_class_is_that_java_object_and_results_print_their_class(url, capsys):
    pojo = '[{"class": "org.example.User", "name": "ann", "age": 30}]'
    assert main(["call", f"{url}/register", "--hessian2", "--types", "org.example.User", pojo]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "class": "org.example.Receipt", "user": "ann", "age": 30, "types": ["org.example.User"],
    }  # fmt: skip


def test_java_time_results_print_in_iso_8601(url, capsys):
    assert main(["call", f"{url}/schedule", "--hessian2"]) == 0
    assert json.loads(capsys.readouterr().out) == ["2024-01-15", "09:30:00", "PT5399.999999S"]


def test_iso_strings_declared_as_dates_and_times_are_sent_as_them(url, capsys):
    types = "java.time.LocalDate,java.time.LocalDateTime,java.util.Date,java.util.Map<java.lang.String, java.lang.Long>"
    values = '["2024-01-15", "2024-01-15T10:20", "2024-01-15T10:20:00Z", {"a": 1}]'
    assert main(["call", f"{url}/echo", "--hessian2", "--types", types, values]) == 0
    assert json.loads(capsys.readouterr().out) == [
        ["java.time.LocalDate", "java.time.LocalDateTime", "java.util.Date", "java.util.Map"],
        "date 2024-01-15", "datetime 2024-01-15 10:20:00", "datetime 2024-01-15 10:20:00+00:00", "dict {'a': 1}",
    ]  # fmt: skip


@pytest.mark.parametrize("java_type, value", [("java.time.LocalDate", "15/01/2024"), ("java.util.Date", "2024-01-15T10:20")])
def test_a_string_that_is_not_its_declared_date_exits_invalid_argument(url, capsys, java_type, value):
    assert main(["call", f"{url}/echo", "--hessian2", "--types", java_type, f'["{value}"]']) == 3
    assert value in capsys.readouterr().err


def test_a_thrown_java_exception_exits_unknown_with_its_class_and_message(url, capsys):
    assert main(["call", f"{url}/sayHello", "--hessian2", "--types", "java.lang.String", '[""]']) == 2
    assert capsys.readouterr().err.strip() == "UNKNOWN: java.lang.IllegalArgumentException: name must not be empty"


def test_arguments_that_do_not_match_the_types_exit_invalid_argument(url, capsys):
    assert main(["call", f"{url}/sayHello", "--hessian2", "--types", "java.lang.String,int", '["world"]']) == 3
    assert "1 arguments for 2 --types" in capsys.readouterr().err


def test_generic_calls_go_through_invoke_with_the_method_its_types_and_arguments(url, capsys):
    argv = ["call", f"{url}/sayHello", "--hessian2", "--generic", "--types", "java.lang.String", '["world"]']
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"method": "sayHello", "types": ["java.lang.String"], "args": ["world"]}
