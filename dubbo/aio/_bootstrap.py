"""``dubbo.aio.Dubbo``: the bootstrap that makes asyncio clients and servers."""

from __future__ import annotations

from typing import Any

from .. import _bootstrap
from .._core.config import ReferenceConfig, ServiceConfig
from ._client import Client
from ._server import Server

__all__ = ["Dubbo"]


class Dubbo(_bootstrap.Bootstrap):
    """``dubbo.Dubbo`` for asyncio: ``create_client`` / ``create_server`` give the asyncio ones."""

    def create_client(self, reference: ReferenceConfig) -> Client:
        return Client(reference, dubbo=self)

    def create_server(self, config: ServiceConfig, **options: Any) -> Server:
        return Server(config, dubbo=self, **options)
