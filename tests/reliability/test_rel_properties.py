"""Property-based tests (hypothesis): the attachment codec and URL parsing, on generated input.

Each property either round-trips what is valid, or fails only with ``ValueError`` (a
readable refusal) on anything else; never another exception type.
"""

from __future__ import annotations

import json
import string
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dubbo
from dubbo import ReferenceConfig, RegistryConfig
from dubbo._core.attachments import _RESERVED, decode_attachments, encode_attachments
from dubbo._registry.url import URL

from harness import SERVICE, ServiceConfig, make_service

pytestmark = pytest.mark.reliability

PROFILE = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- attachments ------------------------------------------------------------------------

KEY_CHARS = string.ascii_letters + string.digits + "-_."
keys = st.text(KEY_CHARS, min_size=1, max_size=20).filter(
    lambda k: k.lower() not in _RESERVED and not k.lower().startswith("grpc-") and not k.lower().endswith("-bin")
)
text_values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)  # printable, no spaces at ends
byte_values = st.binary(max_size=64)


def _unique_ignoring_case(mapping: dict) -> bool:
    return len({k.lower() for k in mapping}) == len(mapping)


attachment_maps = st.dictionaries(keys, st.one_of(text_values, byte_values), max_size=8).filter(_unique_ignoring_case)


@PROFILE
@given(attachment_maps)
def test_attachments_round_trip_through_the_codec(attachments):
    assert decode_attachments(encode_attachments(attachments)) == attachments


@PROFILE
@given(st.dictionaries(st.text(max_size=10), st.one_of(st.text(max_size=10), st.binary(max_size=10), st.integers(), st.booleans(), st.none()), max_size=5))
def test_encoding_any_mapping_succeeds_or_refuses_with_value_error(attachments):
    try:
        encode_attachments(attachments)
    except ValueError:
        pass


metadata_items = st.tuples(
    st.one_of(st.sampled_from(["tri-header-convert", "x-bin", "grpc-status", ":path"]), st.text(KEY_CHARS, min_size=1, max_size=10)),
    st.one_of(st.text(max_size=40), st.binary(max_size=40)),
)


@PROFILE
@given(st.lists(metadata_items, max_size=8))
def test_decoding_any_received_metadata_never_raises(metadata):
    decoded = decode_attachments(tuple(metadata))
    assert isinstance(decoded, dict)


def _as_json(attachments: dict) -> bytes:
    return json.dumps({k: ["b", v.hex()] if isinstance(v, bytes) else ["s", v] for k, v in attachments.items()}).encode()


def _from_json(data: bytes) -> dict:
    return {k: bytes.fromhex(v) if kind == "b" else v for k, (kind, v) in json.loads(data).items()}


@pytest.fixture(scope="module")
def wire_server():
    service = make_service()
    seen = dubbo.RpcMethodHandler.unary(lambda _: _as_json(dubbo.server_context().attachments), "attachments")
    service.method_handlers["attachments"] = seen
    running = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=0)).start()
    try:
        yield running
    finally:
        running.stop(None)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attachments=attachment_maps)
def test_attachments_round_trip_over_a_real_call(wire_server, attachments):
    reference = ReferenceConfig(service=SERVICE, host="127.0.0.1", port=wire_server.port, attachments=attachments)
    with dubbo.Client(reference) as client:
        got = _from_json(client.unary("attachments")(b""))
    got.pop("user-agent", None)
    assert got == attachments


# --- URLs --------------------------------------------------------------------------------

labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
hostnames = st.builds(".".join, st.lists(labels, min_size=1, max_size=4))
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.ip_addresses(v=6).map(str)
hosts = st.one_of(hostnames, ipv4, ipv6)
ports = st.integers(1, 65535)
identifiers = st.text(string.ascii_letters + "_", min_size=1, max_size=8)
services = st.builds(".".join, st.lists(identifiers, min_size=1, max_size=5))
free_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


def _host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@PROFILE
@given(hosts, ports, services, free_text, free_text, st.integers(0, 10**9), free_text)
def test_a_reference_url_round_trips_its_fields(host, port, service, version, group, timeout, extra):
    query = urllib.parse.urlencode({"version": version, "group": group, "timeout": timeout, "custom": extra})
    config = ReferenceConfig.from_url(f"tri://{_host_in_url(host)}:{port}/{service}?{query}")
    assert (config.host, config.port, config.service) == (host, port, service)
    assert (config.version, config.group, config.timeout) == (version, group, timeout)
    assert config.parameters == {"custom": extra}


@PROFILE
@given(st.text(max_size=80))
def test_any_text_as_a_reference_url_parses_or_is_refused_with_value_error(text):
    try:
        ReferenceConfig.from_url(text)
    except ValueError:
        pass


@PROFILE
@given(st.builds(lambda *parts: "".join(parts), st.sampled_from(["tri://", "tri://[", "zookeeper://", "x:"]), st.text(max_size=60)))
def test_url_like_text_as_a_reference_url_parses_or_is_refused_with_value_error(text):
    try:
        ReferenceConfig.from_url(text)
    except ValueError:
        pass


@PROFILE
@given(st.lists(st.tuples(st.one_of(hostnames, ipv4), ports), min_size=1, max_size=4), free_text)
def test_a_registry_url_round_trips_its_addresses_and_group(addresses, group):
    netloc = ",".join(f"{h}:{p}" for h, p in addresses)
    config = RegistryConfig.from_url(f"zookeeper://{netloc}?{urllib.parse.urlencode({'group': group})}")
    assert config.addresses == [f"{h}:{p}" for h, p in addresses]
    assert (config.host, config.port, config.group) == (addresses[0][0], addresses[0][1], group)


@PROFILE
@given(st.builds(lambda *parts: "".join(parts), st.sampled_from(["zookeeper://", "zookeeper://u:p@", ""]), st.text(max_size=60)))
def test_any_text_as_a_registry_url_parses_or_is_refused_with_value_error(text):
    try:
        RegistryConfig.from_url(text)
    except ValueError:
        pass


@PROFILE
@given(st.builds(lambda *parts: "".join(parts), st.sampled_from(["tri://", "tri://[", "dubbo://1.2.3.4:", ""]), st.text(max_size=60)))
def test_any_text_as_a_provider_url_from_the_registry_parses_or_is_refused_with_value_error(text):
    try:
        URL.parse(text)
    except ValueError:
        pass
