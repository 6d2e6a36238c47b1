"""Triple's gRPC-mode wire facts: header names and the headers a consumer sends."""

from __future__ import annotations

from typing import Optional, Tuple

__all__ = ["SERVICE_VERSION", "SERVICE_GROUP", "CONSUMER_APPNAME", "DEFAULT_VERSION", "consumer_headers"]

SERVICE_VERSION = "tri-service-version"
SERVICE_GROUP = "tri-service-group"
CONSUMER_APPNAME = "tri-consumer-appname"
EXCEPTION_CODE = "tri-exception-code"
HEADER_CONVERT = "tri-header-convert"

# The version Java's server falls back to when the requested one is not exported.
DEFAULT_VERSION = "1.0.0"


def consumer_headers(
    version: Optional[str], group: Optional[str], application: Optional[str]
) -> Tuple[Tuple[str, str], ...]:
    """The Triple headers a Java consumer sends for this reference, computed once per client."""
    headers = []
    if version:
        headers.append((SERVICE_VERSION, version))
    if group:
        headers.append((SERVICE_GROUP, group))
    if application:
        headers.append((CONSUMER_APPNAME, application))
    return tuple(headers)
