"""Serving one port from several processes: ``dubbo.Server(config, processes=N)``.

One Python process serves on one core (the GIL); Java and Go providers use every core. Here
``start()`` forks a supervisor, which forks N workers; each worker runs an ordinary
one-process ``Server`` on the same port with ``SO_REUSEPORT``, and the kernel spreads
connections among them. The supervisor never touches grpc, so every fork it makes (the
first workers and the replacement of one that died) is from a process without grpc's
threads, as grpcio's fork rules require. The ``Server`` object stays in the caller's
process: it registers the address once, and ``stop(grace)`` drains every worker.

Only the workers set ``SO_REUSEPORT``. ``start()`` first binds each address without it, so a
busy port fails with "Address already in use" as a one-process server does, and a later
server that does not set it (this library's, Java's, Go's) is refused by the workers' sockets.
One that sets it too and runs as the same user (a raw grpcio server, whose default is to set
it) is let in by the kernel: that is how SO_REUSEPORT works, and no socket option prevents it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import select
import signal
import socket
import threading
import time
from typing import Any, Callable, Dict, List, NoReturn, Optional

from .._core.config import ServiceConfig

__all__ = ["Workers", "bound_ports", "ports_shared"]

_log = logging.getLogger("dubbo.server")

_DRAIN_GRACE = 10.0  # a worker or supervisor told to stop by a signal, or orphaned, drains this long
_RESTART_PAUSE = 1.0  # a worker that dies within this many seconds of its start is replaced after a pause


_ports_shared = False


def ports_shared() -> bool:
    """True in a worker: its servers bind with ``SO_REUSEPORT`` to share the port with the others."""
    return _ports_shared


class Workers:
    """The caller's handle on a supervisor and its ``processes`` workers, each running ``make(configs)``.

    ``make`` builds an unstarted one-process server (anything with ``start()`` and
    ``stop(grace)``); ``pids`` lists the running workers.
    """

    def __init__(self, configs: List[ServiceConfig], processes: int, make: Callable[[List[ServiceConfig]], Any]) -> None:
        if not hasattr(os, "fork") or not hasattr(socket, "SO_REUSEPORT"):
            raise NotImplementedError("processes= needs fork() and SO_REUSEPORT (Linux); use one process here")
        if processes < 0:
            raise ValueError(f"processes must be 0 (one per core) or more, not {processes}")
        self.configs = configs
        self.processes = processes or os.cpu_count() or 1
        self.make = make
        self.pids: List[int] = []
        self.stopped = threading.Event()
        self._supervisor = 0
        self._commands = -1

    def start(self) -> None:
        """Fork the supervisor and its workers; return once every worker serves."""
        running = _grpc_threads()
        if running:
            raise RuntimeError(
                "processes= forks its workers, which grpcio allows only before this process uses grpc "
                f"(its threads {sorted(running)} are running): start this server before any Client or Server"
            )
        status_r, status_w = os.pipe()
        commands_r, commands_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(status_r)
                os.close(commands_w)
                _Supervisor(self.configs, self.make, self.processes, commands_r, status_w).run()
            finally:
                os._exit(1)
        os.close(status_w)
        os.close(commands_r)
        self._supervisor, self._commands = pid, commands_w
        status = os.fdopen(status_r, "r")
        first = status.readline()
        if not first.startswith("workers "):
            os.waitpid(pid, 0)
            status.close()
            os.close(commands_w)
            self.stopped.set()
            raise OSError(first.strip() or "the server's workers did not start")
        self.pids = [int(p) for p in first.split()[1:]]
        threading.Thread(target=self._follow, args=(status,), name="dubbo-supervisor", daemon=True).start()

    def _follow(self, status: Any) -> None:
        """Track the supervisor's reports of its workers until it exits."""
        for line in status:
            if line.startswith("workers "):
                self.pids = [int(p) for p in line.split()[1:]]
        status.close()
        os.waitpid(self._supervisor, 0)
        os.close(self._commands)
        self.pids = []
        self.stopped.set()

    def stop(self, grace: Optional[float]) -> None:
        """Have every worker stop as ``Server.stop(grace)`` does; returns when all have."""
        if not self.stopped.is_set():
            try:
                os.write(self._commands, f"stop {'-' if grace is None else grace}\n".encode())
            except OSError:  # the supervisor has gone already
                pass
        self.stopped.wait()


def _grpc_threads() -> set:
    """The names of grpc core's threads running in this process (grpc has been used here if any)."""
    names = set()
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.add(f.read().strip())
    except OSError:
        return set()
    return names & {"grpc_global_tim", "event_engine", "default-executo", "resolver-execut", "lifeguard"}


def bound_ports(configs: List[ServiceConfig]) -> List[ServiceConfig]:
    """The configs with port 0 replaced by a free port, each address checked free (no ``SO_REUSEPORT``)."""
    chosen: Dict[str, int] = {}
    for address in dict.fromkeys(c.bind_address for c in configs):
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as grpc's own listeners
            probe.bind((host, int(port)))
            chosen[address] = probe.getsockname()[1]
    return [dataclasses.replace(c, port=chosen[c.bind_address]) for c in configs]


class _Stop(Exception):
    """A signal asked this process to drain."""


def _on_term(signum: int, frame: Any) -> NoReturn:
    raise _Stop


class _Supervisor:
    """Runs in the forked supervisor: forks the workers, replaces one that dies, drains them all on request."""

    def __init__(
        self, configs: List[ServiceConfig], make: Callable[[List[ServiceConfig]], Any], processes: int, commands: int, status: int
    ) -> None:
        self.configs = configs
        self.make = make
        self.processes = processes
        self.commands = commands
        self.status = status
        self.workers: Dict[int, tuple] = {}  # pid -> (its command pipe, when it started)
        self.ready_r, self.ready_w = os.pipe()

    def run(self) -> NoReturn:
        os.setpgid(0, 0)  # Ctrl-C reaches the caller, which drains us through stop()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _on_term)
        grace: Optional[float] = _DRAIN_GRACE
        try:
            for _ in range(self.processes):
                self._fork()
            problem = self._await_ready(self.processes)
            if problem:
                self._write(problem)
                self._drain(0)
                os._exit(1)
            self._report()
            grace = self._serve()
        except _Stop:
            pass
        self._drain(grace)
        os._exit(0)

    def _fork(self) -> None:
        commands_r, commands_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(commands_w)
                os.close(self.ready_r)
                _work(self.configs, self.make, commands_r, self.ready_w)
            finally:
                os._exit(1)
        os.close(commands_r)
        self.workers[pid] = (commands_w, time.monotonic())

    def _await_ready(self, count: int) -> str:
        """Wait for ``count`` workers to report; the first failure's message, or ''."""
        buffered = b""
        while count:
            chunk = os.read(self.ready_r, 4096)
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if not line.startswith(b"ready"):
                    return line.decode(errors="replace")
                count -= 1
        return ""

    def _serve(self) -> Optional[float]:
        """Replace workers that die, until the caller says stop (or goes away); the grace to drain with."""
        while True:
            readable, _, _ = select.select([self.commands, self.ready_r], [], [], 0.5)
            if self.ready_r in readable:
                for line in os.read(self.ready_r, 4096).splitlines():
                    if not line.startswith(b"ready"):
                        _log.error("a replacement worker failed to start: %s", line.decode(errors="replace"))
            if self.commands in readable:
                command = os.read(self.commands, 256).decode()
                if not command:  # the caller's process has gone: drain
                    return _DRAIN_GRACE
                value = command.split()[1]
                return None if value == "-" else float(value)
            self._replace_dead()

    def _replace_dead(self) -> None:
        changed = False
        while self.workers:
            pid, code = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            commands_w, started = self.workers.pop(pid)
            os.close(commands_w)
            _log.error("server worker %d exited (status %d); starting another", pid, code)
            if time.monotonic() - started < _RESTART_PAUSE:
                time.sleep(_RESTART_PAUSE)
            self._fork()
            changed = True
        if changed:
            self._report()

    def _report(self) -> None:
        self._write("workers " + " ".join(str(pid) for pid in self.workers))

    def _write(self, line: str) -> None:
        try:
            os.write(self.status, (line + "\n").encode())
        except OSError:  # the caller's process has gone; we drain when its command pipe closes
            pass

    def _drain(self, grace: Optional[float]) -> None:
        """Tell every worker to stop with ``grace`` and wait for all of them."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        message = f"stop {'-' if grace is None else grace}\n".encode()
        for commands_w, _ in self.workers.values():
            try:
                os.write(commands_w, message)
            except OSError:
                pass
        while self.workers:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            entry = self.workers.pop(pid, None)
            if entry is not None:
                os.close(entry[0])


def _work(configs: List[ServiceConfig], make: Callable[[List[ServiceConfig]], Any], commands: int, ready: int) -> NoReturn:
    """A worker: one ordinary server on the shared port, until the supervisor (or SIGTERM) says stop."""
    global _ports_shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    _ports_shared = True
    try:
        server = make(configs)
        server.start()
    except BaseException as error:
        os.write(ready, f"{type(error).__name__}: {error}\n".encode()[:500])
        os._exit(1)
    os.write(ready, b"ready\n")
    grace: Optional[float] = _DRAIN_GRACE
    try:
        command = os.read(commands, 256).decode()
        if command:
            value = command.split()[1]
            grace = None if value == "-" else float(value)
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server.stop(grace)
    os._exit(0)
