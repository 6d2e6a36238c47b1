"""Attachments (Dubbo's request/response metadata) to and from gRPC headers, by Triple's rules.

Keys go lower-case on the wire; when any key had upper-case letters, the original
spelling travels in ``tri-header-convert`` (percent-encoded JSON ``{lower: Original}``)
and is restored on receipt. ``bytes`` values travel under ``key-bin`` (gRPC base64s
them) and come back as ``bytes`` under ``key``. Transport and Triple headers are never
attachments.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .triple import HEADER_CONVERT

__all__ = ["encode_attachments", "decode_attachments"]

Metadata = Tuple[Tuple[str, Any], ...]

# Java's StreamUtils skips these keys both ways, plus every TripleHeaderEnum name.
_RESERVED = frozenset(
    {
        "group", "interface", "path", "remote.application", "application", "serialization",
        "rest-service-version", "rest-service-group",
        "grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-timeout", "grpc-encoding",
        "grpc-accept-encoding", "tri-consumer-appname", "tri-service-version", "tri-service-group",
        "tri-service-timeout", "tri-header-convert", "tri-exception-code", "http-status",
        # HTTP/2 and gRPC transport headers, never user data
        "te", "content-type", "user-agent", "grpc-previous-rpc-attempts",
    }
)


def _text(key: str, value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"  # Java's Boolean.toString
    text = str(value)
    if not text.isascii() or not text.isprintable():
        raise ValueError(
            f"attachment {key!r}: header values must be printable ASCII; send bytes to use {key.lower()}-bin"
        )
    return text


def encode_attachments(attachments: Optional[Mapping[str, Any]]) -> Metadata:
    """Metadata pairs for grpcio; done once per reference or per ``with_options``, never per call."""
    if not attachments:
        return ()
    pairs: List[Tuple[str, Any]] = []
    originals: Dict[str, str] = {}
    for key, value in attachments.items():
        if value is None:
            continue
        if not isinstance(key, str) or not key or key.startswith(":"):
            raise ValueError(f"bad attachment key {key!r}")
        lower = key.lower()
        if lower in _RESERVED:
            raise ValueError(f"attachment key {key!r} is reserved by gRPC or Triple")
        if isinstance(value, (bytes, bytearray, memoryview)):
            wire_key = lower if lower.endswith("-bin") else lower + "-bin"
            pairs.append((wire_key, bytes(value)))
        else:
            if lower.endswith("-bin"):
                raise ValueError(f"attachment {key!r}: a -bin key needs a bytes value")
            pairs.append((lower, _text(key, value)))
        if lower != key:
            originals[lower] = key
    if originals:
        convert = urllib.parse.quote(json.dumps(originals, separators=(",", ":")), safe="")
        pairs.append((HEADER_CONVERT, convert))
    return tuple(pairs)


def decode_attachments(metadata: Optional[Sequence[Tuple[str, Any]]]) -> Dict[str, Any]:
    """Attachments from received headers or trailers, with the sender's key spelling restored."""
    if not metadata:
        return {}
    found: Dict[str, Any] = {}
    originals: Dict[str, str] = {}
    for key, value in metadata:
        if key == HEADER_CONVERT:
            originals = _originals(value)
            continue
        if key in _RESERVED or key.startswith(":") or key.startswith("grpc-"):
            continue
        if key.endswith("-bin") and isinstance(value, bytes):
            key = key[:-4]
        found[key] = value
    if originals:
        return {originals.get(k, k): v for k, v in found.items()}
    return found


def _originals(value: Any) -> Dict[str, str]:
    try:
        text = value.decode() if isinstance(value, bytes) else value
        mapping = json.loads(urllib.parse.unquote(text))
    except (ValueError, UnicodeDecodeError):
        return {}  # a malformed hint only loses the original spelling
    if not isinstance(mapping, dict):
        return {}
    return {k: v for k, v in mapping.items() if isinstance(k, str) and isinstance(v, str) and v.lower() == k}
