"""TLS and mutual TLS: one small config object, turned into grpcio credentials."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Union

import grpc

__all__ = ["TlsConfig", "channel_credentials", "server_credentials"]

Pem = Union[bytes, str, "os.PathLike[str]"]


def _pem(value: Optional[Pem], what: str) -> Optional[bytes]:
    """PEM bytes from bytes, PEM text, or a file path."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode("ascii")
    try:
        with open(value, "rb") as file:
            return file.read()
    except OSError as error:
        raise ValueError(f"TlsConfig.{what}: cannot read {value!r}: {error.strerror}") from None


@dataclass(frozen=True)
class TlsConfig:
    """Certificates for TLS, each given as PEM bytes, PEM text or a file path.

    Server: ``cert_chain`` and ``private_key`` are required; ``root_certificates`` with
    ``require_client_auth=True`` makes it mutual TLS (clients must present a certificate
    signed by those roots). Client: ``root_certificates`` are the CAs trusted to sign the
    server's certificate (the system's when omitted); ``cert_chain`` and ``private_key``
    are the client's own certificate for mutual TLS; ``server_name`` overrides the name
    checked against the server's certificate (default: the host dialled).
    """

    cert_chain: Optional[Pem] = None
    private_key: Optional[Pem] = None
    root_certificates: Optional[Pem] = None
    require_client_auth: bool = False
    server_name: Optional[str] = None


def channel_credentials(tls: TlsConfig) -> grpc.ChannelCredentials:
    """The client side: what to trust, and optionally who we are."""
    chain, key = _pem(tls.cert_chain, "cert_chain"), _pem(tls.private_key, "private_key")
    if (chain is None) != (key is None):
        raise ValueError("TlsConfig: a client certificate needs both cert_chain and private_key")
    return grpc.ssl_channel_credentials(_pem(tls.root_certificates, "root_certificates"), key, chain)


def server_credentials(tls: TlsConfig) -> grpc.ServerCredentials:
    """The server side: our certificate, and the roots client certificates must chain to."""
    chain, key = _pem(tls.cert_chain, "cert_chain"), _pem(tls.private_key, "private_key")
    if chain is None or key is None:
        raise ValueError("TlsConfig for a server needs cert_chain and private_key")
    roots = _pem(tls.root_certificates, "root_certificates")
    if tls.require_client_auth and roots is None:
        raise ValueError("TlsConfig(require_client_auth=True) needs root_certificates to check clients against")
    return grpc.ssl_server_credentials([(key, chain)], roots, tls.require_client_auth)
