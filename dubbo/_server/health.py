"""The standard services a server hosts beside the user's: health checking
(``grpc.health.v1``) and server reflection, both grpcio's own implementations.

They come from the optional packages grpcio-health-checking and grpcio-reflection
(``pip install dubbo-grpcio[health,reflection]``). Left at ``None`` a server turns each
on when its package is installed; ``True`` insists on it, ``False`` turns it off.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Optional, Sequence

import grpc

__all__ = ["HEALTH_SERVICE", "add_health", "add_reflection"]

HEALTH_SERVICE = "grpc.health.v1.Health"


def optional_module(module: str, extra: str, wanted: Optional[bool]) -> Optional[ModuleType]:
    if wanted is False:
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        if wanted:
            raise ImportError(f"{module} is not installed: pip install 'dubbo-grpcio[{extra}]'") from None
        return None


def add_health(server: Any, service_names: Sequence[str], wanted: Optional[bool]) -> Any:
    """Host the health service with every name (and the overall ``""``) SERVING; returns its servicer."""
    health = optional_module("grpc_health.v1.health", "health", wanted)
    if health is None:
        return None
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    for name in ("", *service_names):
        servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return servicer


def add_reflection(server: Any, service_names: Sequence[str], wanted: Optional[bool]) -> bool:
    """Host server reflection listing ``service_names``; True if it is on.

    Reflection describes a service only if its protobuf descriptors are in the default
    pool (its generated ``_pb2`` module was imported); others are listed by name only.
    """
    reflection = optional_module("grpc_reflection.v1alpha.reflection", "reflection", wanted)
    if reflection is None:
        return False
    reflection.enable_server_reflection((*service_names, reflection.SERVICE_NAME), server)
    return True
