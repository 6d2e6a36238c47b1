"""Publishing a started server's services in the registry, and withdrawing them on stop.

Each ``ServiceConfig`` becomes one provider URL at the address peers should dial: its
host, or the machine's address (``DUBBO_IP_TO_REGISTRY`` overrides) when it listens on
all interfaces, with the port the server actually bound.
"""

from __future__ import annotations

from typing import Any, List, Optional

from .url import ANY_HOSTS, local_host, provider_url
from .zookeeper import ZooKeeperRegistry, acquire_registry

__all__ = ["Exporter"]


def _application(config: Any, dubbo: Any) -> str:
    app = getattr(dubbo, "application_config", None)
    return config.application or (app.name if app is not None else None) or "dubbo-python"


class Exporter:
    """Registers every service of ``server`` with ``dubbo.registry_config``; ``close()`` unregisters them."""

    def __init__(self, server: Any, dubbo: Any) -> None:
        registry = acquire_registry(dubbo.registry_config)
        self._registry: Optional[ZooKeeperRegistry] = registry
        self.paths: List[str] = []
        bind_addresses = list(dict.fromkeys(c.bind_address for c in server.service_configs))
        try:
            for config in server.service_configs:
                port = server.ports[bind_addresses.index(config.bind_address)]
                host = (config.host or "").strip("[]")
                anyhost = host in ANY_HOSTS
                url = provider_url(
                    config.protocol or "tri",
                    local_host() if anyhost else host,
                    port,
                    config.service_handler.service_name,
                    config.service_handler.method_names,
                    _application(config, dubbo),
                    version=config.version,
                    group=config.group,
                    anyhost=anyhost,
                    # Java consumers send the provider's token back (TokenFilter).
                    parameters={**config.parameters, "token": config.token} if config.token else config.parameters,
                )
                self.paths.append(registry.register(url))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        registry, self._registry = self._registry, None
        if registry is None:
            return
        for path in self.paths:
            registry.unregister(path)
        registry.release()
