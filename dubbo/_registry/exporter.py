"""Publishing a started server's services in the registry, and withdrawing them on stop.

Each ``ServiceConfig`` becomes one provider URL at the address peers should dial: its
host, or the machine's address (``DUBBO_IP_TO_REGISTRY`` overrides) when it listens on
all interfaces, with the port the server actually bound. A server's plain-HTTP endpoint
is noted as ``http.port`` on the same ``tri://`` URL, a key Java consumers ignore; it is not
a provider URL of its own, because a Java consumer would pick a ``rest://`` one and speak
gRPC to it, which that port does not.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .url import ANY_HOSTS, URL, local_host, provider_url
from .zookeeper import ZooKeeperRegistry, acquire_registry

__all__ = ["Exporter", "HTTP_PORT"]

HTTP_PORT = "http.port"


def _application(config: Any, dubbo: Any) -> str:
    app = getattr(dubbo, "application_config", None)
    return config.application or (app.name if app is not None else None) or "dubbo-python"


def _parameters(config: Any, http_port: Optional[int]) -> Dict[str, str]:
    parameters = dict(config.parameters)
    if config.token:
        parameters["token"] = config.token  # Java consumers send it back (TokenFilter)
    if http_port is not None:
        parameters[HTTP_PORT] = str(http_port)
    return parameters


class Exporter:
    """Registers every service of ``server`` with ``dubbo.registry_config``; ``close()`` unregisters them.

    ``unregister()`` and ``register()`` take the nodes away and write them again while the
    server keeps serving: Dubbo QoS's ``offline`` and ``online``.
    """

    def __init__(self, server: Any, dubbo: Any) -> None:
        registry = acquire_registry(dubbo.registry_config)
        self._registry: Optional[ZooKeeperRegistry] = registry
        self.paths: List[str] = []
        self.urls: List[URL] = []
        bind_addresses = list(dict.fromkeys(c.bind_address for c in server.service_configs))
        http_port = getattr(server, "http_port", None)
        try:
            for config in server.service_configs:
                port = server.ports[bind_addresses.index(config.bind_address)]
                host = (config.host or "").strip("[]")
                anyhost = host in ANY_HOSTS
                self.urls.append(provider_url(
                    config.protocol or "tri",
                    local_host() if anyhost else host,
                    port,
                    config.service_handler.service_name,
                    config.service_handler.method_names,
                    _application(config, dubbo),
                    version=config.version,
                    group=config.group,
                    anyhost=anyhost,
                    parameters=_parameters(config, http_port),
                ))
            self.register()
        except BaseException:
            self.close()
            raise

    def register(self) -> None:
        """Write the provider nodes, unless they are written already."""
        if self._registry is None or self.paths:
            return
        for url in self.urls:
            self.paths.append(self._registry.register(url))

    def unregister(self) -> None:
        """Delete the provider nodes but keep the session, so ``register()`` can write them again."""
        paths, self.paths = self.paths, []
        if self._registry is not None:
            for path in paths:
                self._registry.unregister(path)

    def close(self) -> None:
        self.unregister()
        registry, self._registry = self._registry, None
        if registry is not None:
            registry.release()
