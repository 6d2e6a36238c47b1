"""One side of one run: ``worker.py server IMPL`` or ``worker.py client IMPL PORT WORKLOAD N``.

The server prints ``PORT p`` and serves until stdin closes, then prints its peak RSS.
The client runs the workload and prints ``RESULT {json}``.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

import common

# implementation name -> (module, client factory, the server's keyword arguments)
IMPLS = {
    "dubbo": ("impl_dubbo_api", "client", {}),
    "dubbo_any_cpu": ("impl_dubbo_api", "client", {}),  # run.py lets it use every CPU
    "dubbo_p2": ("impl_dubbo_api", "client", {"processes": 2}),
    "apache": ("impl_dubbo_api", "client", {}),
    "grpc_sync": ("impl_grpc_sync", "client", {}),
    "grpc_sync_st": ("impl_grpc_sync", "client_st", {}),
    "grpc_aio": ("impl_grpc_aio", "client", {}),
    "dubbo_aio": ("impl_dubbo_aio", "client", {}),
}


def main(argv) -> None:
    role, impl = argv[1], argv[2]
    module_name, factory, server_kwargs = IMPLS[impl]
    module = importlib.import_module(module_name)
    if role == "server":
        module.serve(**server_kwargs)
        return
    port, workload, n = int(argv[3]), argv[4], int(argv[5])
    variant = common.WORKLOADS[workload][3]
    if module.ASYNC:

        async def run():
            adapter = getattr(module, factory)(port, variant)
            await adapter.ready()
            return await common.run_async(adapter, workload, n)

        result = asyncio.run(run())
    else:
        result = common.run_sync(getattr(module, factory)(port, variant), workload, n)
    common.report_and_exit(result)


if __name__ == "__main__":
    main(sys.argv)
