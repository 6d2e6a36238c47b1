"""Both ends of HTTP/2 written with the ``h2`` package over plain sockets, to see what
grpcio really puts on the wire (headers, the compressed-flag byte, PING frames)."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import h2.config
import h2.connection
import h2.events


def grpc_frame(payload: bytes, compressed: bool = False) -> bytes:
    return struct.pack(">?I", compressed, len(payload)) + payload


def grpc_messages(body: bytes) -> List[Tuple[bool, bytes]]:
    """The (compressed flag, payload) of each length-prefixed message in ``body``."""
    messages, at = [], 0
    while at < len(body):
        flag, length = struct.unpack_from(">?I", body, at)
        messages.append((flag, body[at + 5 : at + 5 + length]))
        at += 5 + length
    return messages


@dataclass
class Exchange:
    """One HTTP/2 stream as seen from our end."""

    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    trailers: Dict[str, str] = field(default_factory=dict)
    reset: Optional[int] = None

    @property
    def messages(self) -> List[Tuple[bool, bytes]]:
        return grpc_messages(self.body)


class RawServer:
    """Accepts HTTP/2 connections (over TLS with ``ssl_context``), records every request
    and every PING it receives, and answers each call with one empty gRPC message and OK."""

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self._ssl = ssl_context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.requests: List[Exchange] = []
        self.request_arrived = threading.Event()
        self.pings = 0
        self.ping_arrived = threading.Condition()
        self._sockets: List[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        if self._ssl is not None:
            try:
                sock = self._ssl.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams: Dict[int, Exchange] = {}
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    streams[event.stream_id] = Exchange(headers=dict(event.headers))
                elif isinstance(event, h2.events.DataReceived):
                    streams[event.stream_id].body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    self.requests.append(streams.pop(event.stream_id))
                    self.request_arrived.set()
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/grpc")])
                    conn.send_data(event.stream_id, grpc_frame(b""))
                    conn.send_headers(event.stream_id, [("grpc-status", "0")], end_stream=True)
                elif isinstance(event, h2.events.PingReceived):
                    with self.ping_arrived:
                        self.pings += 1
                        self.ping_arrived.notify_all()
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                return

    def wait_for_pings(self, count: int, timeout: float) -> int:
        """Wait until ``count`` PINGs arrived (or ``timeout`` passed); the number seen."""
        with self.ping_arrived:
            self.ping_arrived.wait_for(lambda: self.pings >= count, timeout)
            return self.pings

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class RawClient:
    """One HTTP/2 connection to a server; ``call`` makes a gRPC call and records what comes back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.goaway: Optional[h2.events.ConnectionTerminated] = None
        self.ping_acks = 0
        self.pings_received = 0

    def call(
        self,
        path: str,
        messages: Sequence[bytes],
        headers: Sequence[Tuple[str, str]] = (),
        compressed: bool = False,
        content_type: str = "application/grpc",
        body: Optional[bytes] = None,
    ) -> Exchange:
        """A call with ``messages`` framed as gRPC, or with ``body`` sent as it is (a plain HTTP request)."""
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", f"127.0.0.1:{self.port}"),
                (":path", path),
                ("content-type", content_type),
                ("te", "trailers"),
                *headers,
            ],
        )
        if body is None:
            body = b"".join(grpc_frame(m, compressed) for m in messages)
        self.conn.send_data(stream_id, body, end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        exchange = Exchange()
        while True:
            for event in self._events():
                if getattr(event, "stream_id", stream_id) != stream_id:
                    continue
                if isinstance(event, h2.events.ResponseReceived):
                    exchange.headers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    exchange.body += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    exchange.trailers = dict(event.headers)
                elif isinstance(event, h2.events.StreamReset):
                    exchange.reset = event.error_code
                    return exchange
                elif isinstance(event, h2.events.StreamEnded):
                    return exchange
            if self.goaway is not None:
                return exchange

    def ping(self) -> None:
        """Send one PING and wait for its ACK (or a GOAWAY)."""
        acks = self.ping_acks
        self.conn.ping(b"dubbo-py")
        self.sock.sendall(self.conn.data_to_send())
        while self.ping_acks == acks and self.goaway is None:
            self._events()

    def _events(self) -> list:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        events = self.conn.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.ConnectionTerminated):
                self.goaway = event
            elif isinstance(event, h2.events.PingAckReceived):
                self.ping_acks += 1
            elif isinstance(event, h2.events.PingReceived):
                self.pings_received += 1
        self.sock.sendall(self.conn.data_to_send())
        return events

    def wait_for_pings(self, count: int, timeout: float) -> int:
        """Read (answering PINGs) until ``count`` PINGs came or ``timeout`` passed; the number seen."""
        deadline = time.monotonic() + timeout
        while self.pings_received < count and self.goaway is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                self._events()
            except socket.timeout:
                break
        self.sock.settimeout(10)
        return self.pings_received

    def close(self) -> None:
        self.sock.close()
