"""Publishing a started server's services in the registry, and withdrawing them on stop.

Each ``ServiceConfig`` becomes one provider URL at the address peers should dial: its
host, or the machine's address (``DUBBO_IP_TO_REGISTRY`` overrides) when it listens on
all interfaces, with the port the server actually bound. A server's plain-HTTP endpoint
is noted as ``http.port`` on the same ``tri://`` URL, a key Java consumers ignore; it is not
a provider URL of its own, because a Java consumer would pick a ``rest://`` one and speak
gRPC to it, which that port does not.

Java's ``register-mode`` (a registry URL parameter): ``interface`` writes the provider
nodes only, ``instance`` the application-level instance only (instance.py), ``all`` (the
default) both. Application-level registration needs an application name
(``ApplicationConfig`` or ``ServiceConfig.application``); without one, providers register
at interface level only. With it, provider URLs carry ``service-name-mapping=true``, as
Java's do once the interface-to-application mapping is written.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .instance import ApplicationInstance, acquire_instance
from .url import ANY_HOSTS, URL, local_host, provider_url
from .zookeeper import ZooKeeperRegistry, acquire_registry

__all__ = ["Exporter", "HTTP_PORT", "REGISTER_MODES", "register_mode"]

HTTP_PORT = "http.port"
REGISTER_MODES = ("interface", "instance", "all")  # RegistryConstants.REGISTER_MODE_KEY's values


def register_mode(registry_config: Any) -> str:
    """The registry's ``register-mode``: ``all`` unless set (``CommonConstants.DEFAULT_REGISTER_MODE``)."""
    mode = (registry_config.parameters.get("register-mode") or "all").lower()
    if mode not in REGISTER_MODES:
        raise ValueError(f"unknown register-mode {mode!r}; choose one of {', '.join(REGISTER_MODES)}")
    return mode


def _named_application(config: Any, dubbo: Any) -> Optional[str]:
    app = getattr(dubbo, "application_config", None)
    return config.application or (app.name if app is not None else None)


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
        mode = register_mode(dubbo.registry_config)
        registry = acquire_registry(dubbo.registry_config)
        self._registry: Optional[ZooKeeperRegistry] = registry
        self.paths: List[str] = []
        self.urls: List[URL] = []
        self._interface_level = mode != "instance"
        self._applications: Dict[str, List[URL]] = {}  # application -> its URLs, for app-level discovery
        self.instances: List[ApplicationInstance] = []
        bind_addresses = list(dict.fromkeys(c.bind_address for c in server.service_configs))
        http_port = getattr(server, "http_port", None)
        try:
            for config in server.service_configs:
                port = server.ports[bind_addresses.index(config.bind_address)]
                host = (config.host or "").strip("[]")
                anyhost = host in ANY_HOSTS
                application = _named_application(config, dubbo) if mode != "interface" else None
                parameters = _parameters(config, http_port)
                if application:
                    parameters.setdefault("service-name-mapping", "true")
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
                    parameters=parameters,
                ))
                if application:
                    self._applications.setdefault(application, []).append(self.urls[-1])
            self.register()
        except BaseException:
            self.close()
            raise

    def register(self) -> None:
        """Write the provider nodes and the application instances, unless they are written already."""
        if self._registry is None or self.paths or self.instances:
            return
        for application, urls in self._applications.items():
            instance = acquire_instance(self._registry, application, urls[0].host, urls)
            self.instances.append(instance)
            instance.add(id(self), urls)
        if self._interface_level:
            for url in self.urls:
                self.paths.append(self._registry.register(url))

    def unregister(self) -> None:
        """Delete the provider nodes and withdraw this server's services from its application
        instances, but keep the session, so ``register()`` can write them again."""
        paths, self.paths = self.paths, []
        instances, self.instances = self.instances, []
        if self._registry is not None:
            for path in paths:
                self._registry.unregister(path)
        for instance in instances:
            instance.remove(id(self))
            instance.release()

    def close(self) -> None:
        self.unregister()
        registry, self._registry = self._registry, None
        if registry is not None:
            registry.release()
