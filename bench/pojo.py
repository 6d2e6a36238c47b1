"""The 5-field user of the ``pojo_unary`` and ``hessian_unary`` workloads, the same data two ways.

``pojo``: an IDL call, the protobuf ``message User { string name = 1; int32 age = 2; string email = 3;
double score = 4; int64 created = 5; }`` (built from a descriptor, no protoc needed). ``hessian``: Triple's
wrapper mode, the Java POJO ``org.example.User`` with the same fields, as a Java interface method takes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from dubbo import hessian2

_FILE = descriptor_pb2.FileDescriptorProto(name="bench_user.proto", package="bench", syntax="proto3")
_MSG = _FILE.message_type.add(name="User")
_T = descriptor_pb2.FieldDescriptorProto
for _number, (_name, _type) in enumerate(
    (("name", _T.TYPE_STRING), ("age", _T.TYPE_INT32), ("email", _T.TYPE_STRING), ("score", _T.TYPE_DOUBLE),
     ("created", _T.TYPE_INT64)), 1,
):  # fmt: skip
    _MSG.field.add(name=_name, number=_number, type=_type, label=_T.LABEL_OPTIONAL)
_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_FILE)
PbUser = message_factory.GetMessageClass(_POOL.FindMessageTypeByName("bench.User"))

CREATED_MS = 1_704_164_645_000


@hessian2.java_class("org.example.User")
@dataclass
class User:
    name: str
    age: int
    email: str
    score: float
    created: int = field(metadata={hessian2.JAVA_TYPE: "long"})


def pb_user() -> object:
    return PbUser(name="ann", age=30, email="ann@example.org", score=97.5, created=CREATED_MS)


def user() -> User:
    return User("ann", 30, "ann@example.org", 97.5, CREATED_MS)


USER_TYPE = "org.example.User"
request_serializer = hessian2.request_serializer(USER_TYPE)
response_deserializer = hessian2.ResponseDeserializer([User])
request_deserializer = hessian2.RequestDeserializer([User])
response_serializer = hessian2.ResponseSerializer(USER_TYPE)


def echo(args: hessian2.Arguments) -> User:
    """The wrapper-mode handler: the one argument back."""
    return args[0]
