"""The protobuf message of the ``pb_*`` workloads, ``message Msg { bytes payload = 1; int64 seq = 2; }``.

Built from a descriptor at import time, so no generated code and no protoc are needed.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_FILE = descriptor_pb2.FileDescriptorProto(name="bench_msg.proto", package="bench", syntax="proto3")
_MSG = _FILE.message_type.add(name="Msg")
_MSG.field.add(name="payload", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
               label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
_MSG.field.add(name="seq", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
               label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_FILE)

Msg = message_factory.GetMessageClass(_POOL.FindMessageTypeByName("bench.Msg"))
serialize = Msg.SerializeToString
deserialize = Msg.FromString
