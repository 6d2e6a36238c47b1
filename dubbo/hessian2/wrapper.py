"""Triple's wrapper mode: how Java calls interface (non-protobuf) services, with each argument in Hessian 2.0.

A wrapped request is the protobuf ``TripleRequestWrapper {serializeType = 1; repeated bytes args = 2; repeated
string argTypes = 3}`` and a response ``TripleResponseWrapper {serializeType = 1; bytes data = 2; string type =
3}``, hand-encoded here as Java's ``TripleCustomerProtocolWrapper`` does (serializeType, then each arg, then each
argType). ``args[i]`` is argument ``i`` serialized on its own, ``argTypes[i]`` its declared class as
``Class.getName()`` spells it. Java consumers name Hessian 2 ``hessian4`` on the wire, dubbo-go ``hessian2``; both
are read, and ``hessian2`` is written, which Java's consumers and providers read as well.

A Java provider's unary method that throws answers with status OK, a ``tri-exception-code`` response header
(the exception's gRPC code, UNKNOWN sent as 3, Dubbo's BIZ_EXCEPTION) and the Throwable, Hessian-serialized, as
the response's data. Clients raise it as ``JavaException``; handlers' exceptions go back to Java consumers so.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import traceback
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from .._core.calls import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY, Metadata, current_call
from .._core.errors import RpcError
from .._core.triple import EXCEPTION_CODE
from ._decoder import bound_classes, decode
from ._encoder import encode, erased
from ._types import HessianError, JavaObject
from .generic import GENERIC_METHODS, generic_invoker
from .invocation import BIZ_EXCEPTION, Arguments, JavaException

__all__ = [
    "request_serializer", "response_deserializer", "request_deserializer", "response_serializer",
    "RequestSerializer", "ResponseDeserializer", "RequestDeserializer", "ResponseSerializer", "Arguments",
    "JavaException", "overloads", "JavaService", "GenericService", "SERIALIZATIONS",
]  # fmt: skip

SERIALIZATIONS = ("hessian2", "hessian4")
"""The serializeType names read as Hessian 2 (Java writes ``hessian4`` for it)."""

_SERIALIZE_TYPE = b"\x0a\x08hessian2"  # field 1, length 8
_ARG_TAG = b"\x12"  # field 2, length-delimited
_TYPE_TAG = b"\x1a"  # field 3, length-delimited
_ARG_HEADS = [_ARG_TAG + bytes((size,)) for size in range(0x80)]  # an argument's key and one-byte length
_RESPONSE_HEADS = [_SERIALIZE_TYPE + head for head in _ARG_HEADS]
_log = logging.getLogger("dubbo.server")


# -- the protobuf wire format of the two wrappers --------------------------------------------------------------


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, data: bytes) -> bytes:
    return tag + _varint(len(data)) + data


def _varint_at(data: bytes, pos: int, what: str, message: str) -> Tuple[int, int]:
    """The varint at ``pos`` (a field key or a length, ``what``) and the position after it."""
    value = shift = 0
    end = len(data)
    while True:
        if pos >= end or shift > 28:
            raise HessianError(f"not a {message}: {what} runs past the end", pos)
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(data: bytes, message: str) -> Iterable[Tuple[int, bytes]]:
    """The (field number, bytes) pairs of a wrapper: every field is length-delimited and numbered 1 to 3, as Java requires."""
    view = memoryview(data)
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint_at(data, pos, "a field key", message)
        number, wire_type = key >> 3, key & 7
        if wire_type != 2 or not 1 <= number <= 3:
            raise HessianError(f"not a {message}: field {number} of wire type {wire_type}", pos)
        length, pos = _varint_at(data, pos, "a length", message)
        if pos + length > end:
            raise HessianError(f"not a {message}: field {number} is {length} bytes, {end - pos} left", pos)
        yield number, bytes(view[pos : pos + length])
        pos += length


def _text(data: bytes, message: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HessianError(f"not a {message}: a string field is not UTF-8") from None


def encode_request(args: Sequence[bytes], arg_types: Sequence[str], serialize_type: str = "hessian2") -> bytes:
    """A TripleRequestWrapper of already-serialized arguments, laid out as Java's toByteArray lays it out."""
    head = _SERIALIZE_TYPE if serialize_type == "hessian2" else _field(b"\x0a", serialize_type.encode())
    return b"".join(
        (head, *(_field(_ARG_TAG, arg) for arg in args), *(_field(_TYPE_TAG, t.encode()) for t in arg_types))
    )


class _Unusual(Exception):
    """A wrapper the fast reader leaves to ``_fields``: a field key or length over the common sizes, or an error."""


def _wrapper_fields(data: bytes) -> List[Tuple[int, bytes]]:
    """``_fields`` of a well-formed wrapper, as a list; ``_Unusual`` (or IndexError) for anything else."""
    fields = []
    pos, end = 0, len(data)
    while pos < end:
        number = _KEYS.get(data[pos])
        length = data[pos + 1]
        pos += 2
        if length >= 0x80:
            length &= 0x7F
            shift = 7
            while True:
                byte = data[pos]
                pos += 1
                length |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
                if shift > 28:
                    raise _Unusual
        stop = pos + length
        if number is None or stop > end:
            raise _Unusual
        fields.append((number, data[pos:stop]))
        pos = stop
    return fields


_KEYS = {0x0A: 1, 0x12: 2, 0x1A: 3}  # fields 1 to 3, length-delimited
_ONE_HEAD = _SERIALIZE_TYPE + _ARG_TAG


def _one_argument(data: bytes) -> Optional[Tuple[bytes, Optional[str]]]:
    """The argument (or data) and type of the most common wrapper, read at once: serializeType hessian2, one
    argument under 16 KiB, then one type under 128 bytes or none (None); None for any other wrapper."""
    end = len(data)
    if end < 12 or not data.startswith(_ONE_HEAD):
        return None
    size, start = data[11], 12
    if size >= 0x80:  # a two-byte length
        if end < 13 or data[12] >= 0x80:
            return None
        size, start = (size & 0x7F) | (data[12] << 7), 13
    stop = start + size
    rest = end - stop
    if rest == 0:
        return data[start:stop], None
    if rest < 2 or data[stop] != 0x1A or data[stop + 1] != rest - 2 or rest - 2 >= 0x80:
        return None
    try:
        return data[start:stop], data[stop + 2 :].decode()
    except UnicodeDecodeError:
        return None


def decode_request(data: bytes) -> Tuple[str, List[bytes], List[str]]:
    """A TripleRequestWrapper's serializeType, serialized arguments and argTypes."""
    if data.__class__ is not bytes:
        data = bytes(data)
    one = _one_argument(data)
    if one is not None:
        return "hessian2", [one[0]], [] if one[1] is None else [one[1]]
    serialize_type, args, types = "", [], []
    try:
        for number, value in _wrapper_fields(data):
            if number == 2:
                args.append(value)
            elif number == 3:
                types.append(value.decode())
            else:
                serialize_type = value.decode()
    except (_Unusual, IndexError, UnicodeDecodeError):
        return _decode_request(data)
    return serialize_type, args, types


def _decode_request(data: bytes) -> Tuple[str, List[bytes], List[str]]:
    """``decode_request`` of any wrapper, and the error of a malformed one."""
    serialize_type, args, types = "", [], []
    for number, value in _fields(data, "TripleRequestWrapper"):
        if number == 2:
            args.append(value)
        elif number == 3:
            types.append(_text(value, "TripleRequestWrapper"))
        else:
            serialize_type = _text(value, "TripleRequestWrapper")
    return serialize_type, args, types


def encode_response(data: bytes, java_type: str, serialize_type: str = "hessian2") -> bytes:
    """A TripleResponseWrapper: serializeType, data, type, as Java writes them."""
    head = _SERIALIZE_TYPE if serialize_type == "hessian2" else _field(b"\x0a", serialize_type.encode())
    return head + _field(_ARG_TAG, data) + _field(_TYPE_TAG, java_type.encode())


def decode_response(data: bytes) -> Tuple[str, Optional[bytes], str]:
    """A TripleResponseWrapper's serializeType, data (None when absent) and type."""
    if data.__class__ is not bytes:
        data = bytes(data)
    one = _one_argument(data)
    if one is not None:
        return "hessian2", one[0], one[1] or ""
    serialize_type, body, java_type = "", None, ""
    try:
        for number, value in _wrapper_fields(data):
            if number == 2:
                body = value
            elif number == 3:
                java_type = value.decode()
            else:
                serialize_type = value.decode()
    except (_Unusual, IndexError, UnicodeDecodeError):
        return _decode_response(data)
    return serialize_type, body, java_type


def _decode_response(data: bytes) -> Tuple[str, Optional[bytes], str]:
    """``decode_response`` of any wrapper, and the error of a malformed one."""
    serialize_type, body, java_type = "", None, ""
    for number, value in _fields(data, "TripleResponseWrapper"):
        if number == 2:
            body = value
        elif number == 3:
            java_type = _text(value, "TripleResponseWrapper")
        else:
            serialize_type = _text(value, "TripleResponseWrapper")
    return serialize_type, body, java_type


def _check_serialization(serialize_type: str) -> None:
    if serialize_type not in SERIALIZATIONS:
        # Java's CodecSupport.checkSerialization words it so.
        raise HessianError(
            f"Unexpected serialization type:{serialize_type} received from network, please check if the peer "
            f"send the right id (this side speaks hessian2)"
        )


# -- Java exceptions -----------------------------------------------------------------------------------------


def _status_of(exception_code: int) -> grpc.StatusCode:
    if exception_code == BIZ_EXCEPTION:
        return grpc.StatusCode.UNKNOWN
    for status in grpc.StatusCode:
        if status.value[0] == exception_code:
            return status
    return grpc.StatusCode.UNKNOWN


def thrown(throwable: Any, exception_code: int, initial: Metadata = (), trailing: Metadata = ()) -> JavaException:
    """The JavaException a response carrying ``tri-exception-code`` stands for, from its decoded Throwable."""
    if isinstance(throwable, JavaObject):
        java_class, message = throwable.java_class, throwable.fields.get("detailMessage")
    else:
        java_class = getattr(type(throwable), "__java_class__", type(throwable).__name__)
        message = getattr(throwable, "detailMessage", None)
    return JavaException(
        java_class, message if message is None else str(message), code=_status_of(exception_code),
        exception_code=exception_code, throwable=throwable, initial_metadata=initial, trailing_metadata=trailing,
    )  # fmt: skip


MAX_FRAMES = 64  # a Throwable's stack trace sent to Java keeps the innermost frames, as many as this


def throwable(error: BaseException) -> JavaObject:
    """``error`` as the Throwable a Java consumer reads: a JavaException's class and message, else
    ``java.lang.RuntimeException`` with ``"PythonType: message"``; fields as Java's Hessian writes them, the
    stack trace being the Python frames the error went through (see ``stack_trace``)."""
    if isinstance(error, JavaException):
        java_class, message = error.java_class, error.java_message
    else:
        java_class, message = "java.lang.RuntimeException", f"{type(error).__name__}: {error}"
    value = JavaObject(java_class)
    value.fields = {
        "detailMessage": message, "cause": value, "stackTrace": stack_trace(error), "suppressedExceptions": [],
    }  # fmt: skip
    return value


def stack_trace(error: BaseException) -> List[JavaObject]:
    """The frames ``error`` passed through, innermost first as Java lists them, as ``java.lang.StackTraceElement``s
    a Java consumer prints: ``module.function(file.py:line)`` (the file's name only, as Java sends)."""
    frames = [frame for frame in traceback.walk_tb(error.__traceback__)][-MAX_FRAMES:]
    return [
        JavaObject("java.lang.StackTraceElement", {
            "declaringClass": frame.f_globals.get("__name__", "?"),
            "methodName": getattr(frame.f_code, "co_qualname", frame.f_code.co_name),
            "fileName": os.path.basename(frame.f_code.co_filename),
            "lineNumber": line or -1,
        })  # fmt: skip
        for frame, line in reversed(frames)
    ]


# -- the client's codecs ------------------------------------------------------------------------------------


class RequestSerializer:
    """A call's arguments as a TripleRequestWrapper: each in Hessian 2 as its declared Java type."""

    __slots__ = ("arg_types", "_types")

    def __init__(self, arg_types: Sequence[str]) -> None:
        self.arg_types = tuple(arg_types)
        self._types = b"".join(_field(_TYPE_TAG, erased(t).encode()) for t in self.arg_types)

    def __call__(self, *args: Any) -> bytes:
        types = self.arg_types
        if len(args) != len(types):
            raise TypeError(f"{len(args)} arguments for the Java parameter types ({', '.join(types)})")
        parts: List[Union[bytes, bytearray]] = [_SERIALIZE_TYPE]
        for arg, java_type in zip(args, types):
            data = encode(arg, java_type)
            size = len(data)
            parts.append(_ARG_HEADS[size] if size < 0x80 else _ARG_TAG + _varint(size))
            parts.append(data)
        parts.append(self._types)
        return b"".join(parts)

    def __repr__(self) -> str:
        return f"hessian2.request_serializer({', '.join(map(repr, self.arg_types))})"


def request_serializer(*arg_types: str) -> RequestSerializer:
    """The request serializer of a Java method taking ``arg_types`` (``Class.getName()``: ``int``,
    ``java.lang.String``, ``[Ljava.lang.String;``; type arguments such as ``java.util.List<java.lang.Long>``
    decide how elements are written); for streams, one type: each message is one argument."""
    return RequestSerializer(arg_types)


class ResponseDeserializer:
    """A TripleResponseWrapper's value, decoded from Hessian 2; ``classes`` are the dataclasses bound with
    ``java_class`` to build instead of ``JavaObject``s. ``raised`` makes the error of a thrown Java exception."""

    __slots__ = ("classes", "_bound")

    def __init__(self, classes: Iterable[type] = ()) -> None:
        self.classes = tuple(classes)
        self._bound = bound_classes(self.classes)

    def __call__(self, data: bytes) -> Any:
        one = _one_argument(data) if data.__class__ is bytes else None
        if one is not None:  # the common response, read at once
            return decode(one[0], self._bound)
        serialize_type, body, _java_type = decode_response(data)
        if serialize_type not in SERIALIZATIONS:
            _check_serialization(serialize_type)
        return None if body is None else decode(body, self._bound)

    def raised(self, response: Any, exception_code: int, initial: Metadata, trailing: Metadata) -> RpcError:
        """The error a unary response with a non-zero ``tri-exception-code`` stands for: its Throwable."""
        return thrown(response, exception_code, initial, trailing)


response_deserializer = ResponseDeserializer()
"""Decodes wrapper-mode responses (``hessian2``/``hessian4``); a thrown Java exception raises ``JavaException``."""


# -- the server's codecs -------------------------------------------------------------------------------------


class RequestDeserializer:
    """A TripleRequestWrapper's arguments as ``Arguments``; ``classes`` as for ``ResponseDeserializer``.

    Given to a ``RpcMethodHandler``, it adapts the handler to wrapper mode (``adapt_handler``): a unary
    handler's exceptions are thrown to the caller as a Java provider throws them, and streaming handlers get
    each message's one argument instead of a list.
    """

    __slots__ = ("classes", "_bound")

    def __init__(self, classes: Iterable[type] = ()) -> None:
        self.classes = tuple(classes)
        self._bound = bound_classes(self.classes)

    def __call__(self, data: bytes) -> Arguments:
        one = _one_argument(data) if data.__class__ is bytes else None
        if one is not None:  # the common request, one argument, read at once
            return Arguments((decode(one[0], self._bound),), () if one[1] is None else (one[1],))
        serialize_type, args, types = decode_request(data)
        if serialize_type not in SERIALIZATIONS:
            _check_serialization(serialize_type)
        if types and len(types) != len(args):
            raise HessianError(f"{len(args)} arguments but {len(types)} argTypes")
        bound = self._bound
        return Arguments([decode(arg, bound) for arg in args], types)

    def single(self, data: bytes) -> Any:
        """A streamed message: a wrapper holding exactly one argument, which it returns."""
        args = self(data)
        if len(args) != 1:
            raise HessianError(f"a streamed message holds one argument, not {len(args)}")
        return args[0]

    def service_methods(self, service: str, handlers: Mapping[str, Any]) -> Dict[str, Any]:
        """The methods a service with wrapper-mode handlers answers besides its own, as a Java provider does: the
        generic ``$invoke`` and ``$invokeAsync``, which call its unary wrapper-mode handlers by name
        (dubbo/hessian2/generic.py), and ``$echo`` (Java's EchoService), which answers its argument."""
        targets = {
            name: handler for name, handler in handlers.items()
            if handler.kind == UNARY and isinstance(handler.request_deserializer, RequestDeserializer)
        }  # fmt: skip
        if not targets:
            return {}
        invoke = generic_invoker(service, handlers, targets)
        template = next(iter(targets.values()))
        methods = {
            name: request_deserializer.adapt_handler(
                dataclasses.replace(
                    template, method=invoke, method_name=name,
                    request_deserializer=request_deserializer, response_serializer=response_serializer,
                )  # fmt: skip
            )
            for name in GENERIC_METHODS
        }
        methods[ECHO] = dataclasses.replace(
            template, method=_same, method_name=ECHO, request_deserializer=_echoed, response_serializer=_echo_reply
        )
        return methods

    def adapt_handler(self, handler: Any) -> Any:
        """``handler`` (an RpcMethodHandler) as wrapper mode runs it: see the class docstring."""
        if handler.kind == UNARY:
            return dataclasses.replace(handler, method=_throwing(handler.method, handler.method_name))
        if handler.kind in (CLIENT_STREAM, SERVER_STREAM, BIDI_STREAM):
            return dataclasses.replace(handler, request_deserializer=self.single)
        return handler


request_deserializer = RequestDeserializer()

ECHO = "$echo"


def _echoed(data: bytes) -> bytes:
    """``$echo``'s one argument, checked to be a Hessian value, as the bytes to send back."""
    serialize_type, args, _types = decode_request(data)
    if serialize_type not in SERIALIZATIONS:
        _check_serialization(serialize_type)
    if len(args) != 1:
        raise HessianError(f"$echo takes one argument, not {len(args)}")
    decode(args[0], {})
    return args[0]


def _same(value: Any) -> Any:
    return value


def _echo_reply(data: bytes) -> bytes:
    """The echoed argument as ``$echo``'s response (declared ``Object $echo(Object)``)."""
    return encode_response(data, "java.lang.Object")
"""Decodes wrapper-mode requests for a handler, which receives the argument list (``Arguments``)."""


class _Thrown:
    """A unary handler's exception on its way to the response serializer."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _throw(error: Exception, method: str) -> _Thrown:
    """Answer as a Java provider does for a thrown exception: the tri-exception-code header now, the
    Throwable as the response, status OK. RpcErrors other than JavaException stay statuses."""
    if isinstance(error, RpcError) and not isinstance(error, JavaException):
        raise error
    if not isinstance(error, JavaException):
        _log.error("%s failed", method, exc_info=error)
    code = error.exception_code if isinstance(error, JavaException) else BIZ_EXCEPTION
    context = current_call.get()
    if context is not None:
        context.send_initial_metadata(((EXCEPTION_CODE, str(code or BIZ_EXCEPTION)),))
    return _Thrown(error)


def _throwing(fn: Callable[..., Any], method: str) -> Callable[..., Any]:
    """``fn`` returning a raised exception as ``_Thrown`` (sync or async, as ``fn`` is)."""
    if inspect.iscoroutinefunction(fn):

        async def throwing_async(args: Arguments) -> Any:
            try:
                return await fn(args)
            except Exception as error:
                return _throw(error, method)

        return throwing_async

    def throwing(args: Arguments) -> Any:
        try:
            return fn(args)
        except Exception as error:
            return _throw(error, method)

    return throwing


class ResponseSerializer:
    """A handler's value as a TripleResponseWrapper, in Hessian 2 as ``java_type`` (the method's declared return
    class, also the wrapper's ``type``; ``java.lang.Object`` when not given)."""

    __slots__ = ("java_type", "_type")

    def __init__(self, java_type: Optional[str] = None) -> None:
        self.java_type = java_type
        self._type = _field(_TYPE_TAG, erased(java_type or "java.lang.Object").encode())

    def __call__(self, value: Any) -> bytes:
        if value.__class__ is _Thrown:
            data = encode(throwable(value.error))
        else:
            data = encode(value, self.java_type)
        size = len(data)
        head = _RESPONSE_HEADS[size] if size < 0x80 else _SERIALIZE_TYPE + _ARG_TAG + _varint(size)
        return b"".join((head, data, self._type))


response_serializer = ResponseSerializer()
"""Encodes a handler's value (or its thrown exception) as a wrapper-mode response."""


def overloads(
    signatures: Mapping[Union[str, Tuple[str, ...]], Callable[[Arguments], Any]],
) -> Callable[[Arguments], Any]:
    """One handler for a Java method's overloads, choosing by the request's argTypes:
    ``{("java.lang.String",): f, ("java.lang.String", "int"): g}``; a signature no function is given for is
    UNIMPLEMENTED. All the functions are ``def`` or all ``async def``."""
    table = {((key,) if isinstance(key, str) else tuple(key)): fn for key, fn in signatures.items()}
    kinds = {inspect.iscoroutinefunction(fn) for fn in table.values()}
    if len(kinds) != 1:
        raise TypeError("overloads are all def or all async def functions")

    def choose(args: Arguments) -> Callable[[Arguments], Any]:
        fn = table.get(args.types)
        if fn is None:
            offered = "; ".join(f"({', '.join(key)})" for key in table)
            raise RpcError(
                grpc.StatusCode.UNIMPLEMENTED, f"no overload takes ({', '.join(args.types)}); offered: {offered}"
            )
        return fn

    if kinds == {True}:

        async def dispatch_async(args: Arguments) -> Any:
            return await choose(args)(args)

        return dispatch_async

    def dispatch(args: Arguments) -> Any:
        return choose(args)(args)

    return dispatch


# -- stubs -----------------------------------------------------------------------------------------------------


class JavaService:
    """A stub for a Java interface from its method signatures: one callable attribute per method.

    ``JavaService(client, {"sayHello": (["java.lang.String"], "java.lang.String")})``, then
    ``stub.sayHello("world")`` (awaited on a ``dubbo.aio`` client). ``classes`` are the bound dataclasses
    responses may hold. Overloaded methods need one ``client.unary`` each, with their own types.
    """

    def __init__(
        self,
        client: Any,
        methods: Mapping[str, Tuple[Sequence[str], Optional[str]]],
        classes: Iterable[type] = (),
    ) -> None:
        deserialize = ResponseDeserializer(classes)
        self._methods: Dict[str, Any] = {}
        for name, (arg_types, _return_type) in methods.items():
            self._methods[name] = client.unary(name, request_serializer(*arg_types), deserialize)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_methods"][name]
        except KeyError:
            raise AttributeError(f"no Java method {name!r} in this stub") from None


class GenericService:
    """Java's ``GenericService`` for any interface the client's reference names: ``invoke(method, types, args)``
    calls ``$invoke`` with the ``generic`` attachment, as a Java generic consumer does. POJO arguments may be
    dicts with a ``"class"`` key, as Java's PojoUtils reads them; POJO results come back as such dicts."""

    def __init__(self, client: Any, classes: Iterable[type] = ()) -> None:
        self._invoke = client.unary(
            "$invoke",
            request_serializer("java.lang.String", "[Ljava.lang.String;", "[Ljava.lang.Object;"),
            ResponseDeserializer(classes),
        ).with_options(attachments={"generic": "true"})

    def invoke(self, method: str, types: Sequence[str], args: Sequence[Any]) -> Any:
        """The result of ``method(*args)`` whose parameter types are ``types`` (a coroutine on ``dubbo.aio``);
        type arguments (``java.util.List<java.lang.Long>``) are dropped, as Java's provider matches erased types."""
        if len(types) != len(args):
            raise TypeError(f"{len(args)} arguments for the parameter types ({', '.join(types)})")
        return self._invoke(method, [erased(t) for t in types], list(args))

    def with_options(self, **options: Any) -> "GenericService":
        """A copy whose calls take these per-call options (``timeout``, ``attachments``...)."""
        other = object.__new__(GenericService)
        other._invoke = self._invoke.with_options(**options)
        return other
