"""Calling a Java provider's ``MetadataServiceV2`` over Triple, as a Java 3.3 consumer does.

Java providers keep their metadata ``local`` by default: a consumer asks the provider itself
for the ``MetadataInfo`` of a revision. When the instance says ``meta-v=2.0.0`` a 3.3
consumer calls ``/org.apache.dubbo.metadata.MetadataServiceV2/GetMetadataInfo`` with a
protobuf ``MetadataRequest`` (``metadata_service_v2.proto``), group = the application,
version ``2.0.0``, on the protocol and port of ``dubbo.metadata-service.url-params``, with a
5 s timeout (``MetadataUtils#referMetadataService``, ``StandardMetadataServiceURLBuilder``).
The messages are built from that proto at run time, in a descriptor pool of their own.
Older providers (V1, ``getMetadataInfo(String)`` over Hessian2) are not called.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from .._core.config import ReferenceConfig
from .._core.transport import open_channel
from .._core.triple import SERVICE_GROUP, SERVICE_VERSION
from .metadata import METADATA_SERVICE_PARAMS, METADATA_SERVICE_VERSION, Instance, MetadataInfo, ServiceInfo

__all__ = ["fetch_local_metadata", "MetadataUnavailable", "METHOD_PATH"]

SERVICE = "org.apache.dubbo.metadata.MetadataServiceV2"
METHOD_PATH = f"/{SERVICE}/GetMetadataInfo"
V2 = "2.0.0"  # MetadataServiceDelegationV2.VERSION
TIMEOUT_S = 5.0  # DEFAULT_METADATA_TIMEOUT_VALUE, ms / 1000


class MetadataUnavailable(Exception):
    """An instance's metadata cannot be had from the instance itself."""


def _message_classes() -> Tuple[Any, Any]:
    """``MetadataRequest`` and ``MetadataInfoV2`` from metadata_service_v2.proto."""
    T = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="org/apache/dubbo/metadata/metadata_service_v2.proto", package="org.apache.dubbo.metadata", syntax="proto3"
    )

    def message(name: str, *fields: Tuple[str, int, int, str], parent: Any = None) -> Any:
        container = parent.nested_type if parent is not None else proto.message_type
        msg = container.add(name=name)
        for field_name, number, kind, type_name in fields:
            label = T.LABEL_REPEATED if type_name.endswith("Entry") else T.LABEL_OPTIONAL
            msg.field.add(name=field_name, number=number, type=kind, label=label, type_name=type_name or None)
        return msg

    def map_entry(parent: Any, name: str, value_kind: int, value_type: str = "") -> None:
        entry = message(name, ("key", 1, T.TYPE_STRING, ""), ("value", 2, value_kind, value_type), parent=parent)
        entry.options.map_entry = True

    message("MetadataRequest", ("revision", 1, T.TYPE_STRING, ""))
    info = message("MetadataInfoV2", ("app", 1, T.TYPE_STRING, ""), ("version", 2, T.TYPE_STRING, ""),
                   ("services", 3, T.TYPE_MESSAGE, ".org.apache.dubbo.metadata.MetadataInfoV2.ServicesEntry"))
    map_entry(info, "ServicesEntry", T.TYPE_MESSAGE, ".org.apache.dubbo.metadata.ServiceInfoV2")
    service = message("ServiceInfoV2", ("name", 1, T.TYPE_STRING, ""), ("group", 2, T.TYPE_STRING, ""),
                      ("version", 3, T.TYPE_STRING, ""), ("protocol", 4, T.TYPE_STRING, ""),
                      ("port", 5, T.TYPE_INT32, ""), ("path", 6, T.TYPE_STRING, ""),
                      ("params", 7, T.TYPE_MESSAGE, ".org.apache.dubbo.metadata.ServiceInfoV2.ParamsEntry"))
    map_entry(service, "ParamsEntry", T.TYPE_STRING)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    request, reply = (
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"org.apache.dubbo.metadata.{name}"))
        for name in ("MetadataRequest", "MetadataInfoV2")
    )
    return request, reply


MetadataRequest, MetadataInfoV2 = _message_classes()


def metadata_service_address(instance: Instance) -> str:
    """Where the instance serves MetadataServiceV2 over Triple; ``MetadataUnavailable`` if it does not."""
    if instance.metadata.get(METADATA_SERVICE_VERSION) != V2:
        raise MetadataUnavailable(f"{instance.id} serves only MetadataService V1 (Hessian2), which is not called")
    try:
        params = json.loads(instance.metadata.get(METADATA_SERVICE_PARAMS) or "{}")
        protocol, port = params.get("protocol", "tri"), int(params.get("port") or instance.port)
    except (ValueError, TypeError, AttributeError):
        raise MetadataUnavailable(f"{instance.id} has unreadable {METADATA_SERVICE_PARAMS}") from None
    if protocol != "tri":
        raise MetadataUnavailable(f"{instance.id} serves its MetadataService over {protocol!r}, not Triple")
    host = f"[{instance.address}]" if ":" in instance.address else instance.address
    return f"{host}:{port}"


def fetch_local_metadata(instance: Instance, revision: str, reference: Optional[ReferenceConfig] = None) -> MetadataInfo:
    """The instance's ``MetadataInfo`` for ``revision``, from its MetadataServiceV2."""
    import grpc

    address = metadata_service_address(instance)
    channel = open_channel(reference or ReferenceConfig(), address)
    try:
        call = channel.unary_unary(METHOD_PATH, MetadataRequest.SerializeToString, MetadataInfoV2.FromString)
        reply = call(MetadataRequest(revision=revision), timeout=TIMEOUT_S,
                     metadata=((SERVICE_GROUP, instance.name), (SERVICE_VERSION, V2)))
    except grpc.RpcError as error:
        raise MetadataUnavailable(f"{METHOD_PATH} at {address} failed: {error.code().name} {error.details()}") from None
    finally:
        channel.close()
    services = {}
    for value in reply.services.values():
        info = ServiceInfo(value.name, value.group or None, value.version or None, value.protocol,
                           value.port, value.path or value.name, dict(value.params))
        services[info.match_key] = info
    return MetadataInfo(reply.app or instance.name, services)
