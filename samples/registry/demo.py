"""``make demo-registry``: a ZooKeeper, two providers (weights 100 and 300) and a consumer.

Starts ZooKeeper from Debian's package on a free port (the tests' launcher), runs
``samples.registry.server`` twice and ``samples.registry.client`` with random and then
round-robin balancing, and stops everything, whatever happens.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tests"))

from zookeeper import ZooKeeper  # noqa: E402  (tests/zookeeper.py: the same launcher the tests use)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dubbo-demo-zk-") as directory:
        zookeeper = ZooKeeper(directory).start()
        print(f"ZooKeeper on {zookeeper.hosts}")
        env = dict(os.environ, DUBBO_REGISTRY=f"{zookeeper.url}?group=demo")
        providers = []
        try:
            for name, weight in (("provider-1", "100"), ("provider-2", "300")):
                process = subprocess.Popen(
                    [sys.executable, "-m", "samples.registry.server", name, weight],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                )
                providers.append(process)
                print(process.stdout.readline().rstrip())
            for loadbalance in ("random", "roundrobin"):
                subprocess.run([sys.executable, "-m", "samples.registry.client", "400", loadbalance], env=env, check=True)
        finally:
            for process in providers:
                process.stdin.close()  # the server's input() ends: it unregisters and stops
            for process in providers:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
            zookeeper.stop()
        print("stopped: providers and ZooKeeper")


if __name__ == "__main__":
    main()
