"""A provider of ``test.Who`` in a process of its own, for tests that kill it (SIGKILL).

    python tests/registry_provider.py zookeeper://127.0.0.1:PORT?group=G NAME

prints the bound port once it is registered, then serves until killed.
"""

import sys
import threading

import dubbo
from dubbo import RegistryConfig, ServiceConfig
from zookeeper import who_service

if __name__ == "__main__":
    url, name = sys.argv[1], sys.argv[2]
    config = ServiceConfig(who_service(name, {}, threading.Event()), port=0, parameters={"warmup": "0"})
    server = dubbo.Dubbo(registry_config=RegistryConfig.from_url(url)).create_server(config).start()
    print(server.port, flush=True)
    threading.Event().wait()
