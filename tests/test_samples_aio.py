"""samples/aio runs as written: the asyncio server and client, and each against the sync stack."""

import pytest

from test_samples import _run_pair, env, port_50051  # noqa: F401  (fixtures)

EXPECTED = [
    "unary:         Hello, dubbo!",
    "client stream: streams of requests",
    "server stream: one",
    "server stream: two",
    "server stream: three",
    "concurrent:    10 replies",
    "bidi stream:   echo ping",
    "bidi stream:   echo pong",
    "bidi stream:   EOF",
]


@pytest.mark.parametrize(
    "server, client",
    [
        ("samples.aio.server", "samples.aio.client"),
        ("samples.greeter.server", "samples.aio.client"),  # the sync sample server
    ],
)
def test_the_asyncio_samples_run(env, port_50051, server, client):
    out, server_out = _run_pair(["-m", server], ["-m", client], env)
    assert out.splitlines() == EXPECTED


def test_the_sync_sample_client_calls_the_asyncio_sample_server(env, port_50051):
    out, _ = _run_pair(["-m", "samples.aio.server"], ["-m", "samples.greeter.client"], env)
    assert out.splitlines() == [
        "unary:         Hello, dubbo!",
        "client stream: streams of requests",
        "server stream: ['one', 'two', 'three']",
        "bidi stream:   echo ping",
        "bidi stream:   echo pong",
        "bidi stream:   EOF",
    ]
