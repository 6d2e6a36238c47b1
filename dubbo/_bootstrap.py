"""``dubbo.Dubbo``: the application-wide settings clients and servers are created from."""

from __future__ import annotations

from typing import Any, Optional

from ._client.client import Client
from ._core.config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig
from ._server.server import Server

__all__ = ["Dubbo", "Bootstrap"]


class Bootstrap:
    """The application and registry configs that clients and servers are created with (both front ends)."""

    def __init__(
        self,
        application_config: Optional[ApplicationConfig] = None,
        registry_config: Optional[RegistryConfig] = None,
    ) -> None:
        self.application_config = application_config
        self.registry_config = registry_config


class Dubbo(Bootstrap):
    """Holds the application and registry configs; ``create_client`` / ``create_server`` use them."""

    def create_client(self, reference: ReferenceConfig) -> Client:
        return Client(reference, dubbo=self)

    def create_server(self, config: ServiceConfig, **options: Any) -> Server:
        return Server(config, dubbo=self, **options)
