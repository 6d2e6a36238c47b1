"""``make demo``: start the Greeter server, call it in all four modes, stop it."""

import socket
import subprocess
import sys

from samples.greeter import client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "samples.greeter.server", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        print(server.stdout.readline(), end="")  # "Greeter serving on ..." once it listens
        client.main(port)
    finally:
        server.communicate("\n", timeout=10)  # Enter stops it
    print("Greeter stopped" if server.returncode == 0 else f"server exited with {server.returncode}")
    return server.returncode


if __name__ == "__main__":
    sys.exit(main())
