"""``python -m dubbo.codegen [protoc arguments] --dubbo_out=DIR x.proto``: protoc with our plugin.

Runs grpcio-tools' bundled protoc with ``protoc-gen-dubbo`` pointed at this package, and,
unless the arguments already say where, also writes the ``_pb2`` module and its ``.pyi``
stub into the ``--dubbo_out`` directory (``--mypy_out`` takes mypy-protobuf's stubs instead). Protobuf's well-known types are on the import path.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from typing import List, Optional

_USAGE = "usage: python -m dubbo.codegen -I DIR --dubbo_out=OUT [other protoc options] FILE.proto..."


def _option(args: List[str], name: str) -> Optional[str]:
    """The value of ``--name=value`` or ``--name value`` in protoc's arguments."""
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
        if arg == name and i + 1 < len(args):
            return args[i + 1]
    return None


def _plugin_script(directory: str) -> str:
    """An executable that runs the plugin with this interpreter and this copy of ``dubbo``."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(directory, "protoc-gen-dubbo")
    with open(path, "w") as script:
        script.write(
            "#!/bin/sh\n"
            f"PYTHONPATH={shlex.quote(root)}${{PYTHONPATH:+:$PYTHONPATH}} "
            f"exec {shlex.quote(sys.executable)} -m dubbo.codegen._plugin\n"
        )
    os.chmod(path, 0o755)
    return path


def main(argv: Optional[List[str]] = None) -> int:
    try:
        from grpc_tools import protoc
    except ImportError:
        print("dubbo.codegen needs grpcio-tools: pip install 'dubbo-grpcio[codegen]'", file=sys.stderr)
        return 1
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or "-h" in args or "--help" in args:
        print(_USAGE, file=sys.stderr)
        return 0 if args else 2
    out = _option(args, "--dubbo_out")
    if out is not None:
        if _option(args, "--python_out") is None:
            args.append(f"--python_out={out}")
        if _option(args, "--pyi_out") is None and _option(args, "--mypy_out") is None:
            args.append(f"--pyi_out={out}")
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    with tempfile.TemporaryDirectory(prefix="dubbo-codegen-") as scratch:
        plugin = f"--plugin=protoc-gen-dubbo={_plugin_script(scratch)}"
        return protoc.main(["protoc", plugin, *args, f"-I{well_known}"])


if __name__ == "__main__":
    sys.exit(main())
