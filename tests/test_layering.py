"""The package's layers, checked from its source: each layer imports only the ones below it.

    _core           the Triple core: configs, wire headers, errors, transport, streams, hooks
    _registry       registry and cluster                        -> _core
    _client         the sync client                             -> _core, _registry
    _server         the sync server                             -> _core, _registry
    hessian2        Hessian 2.0, a leaf                         -> nothing of dubbo
    hessian2.wrapper  Triple's wrapper mode over it: needs the core's errors, headers and current call
                                                                -> _core, hessian2
    hessian2.invocation, hessian2.generic  a Java call's arguments and exception, and Java's generic $invoke
                    served from them; wrapper mode offers $invoke  -> _core, hessian2
    observability   tracing, metrics, access log, QoS port      -> _core
    aio             the asyncio front end, on the sync package  -> all of the above
    the rest        public names, bootstrap, CLI, codegen       -> anything
"""

from __future__ import annotations

import ast
import pathlib
from typing import Dict, Set

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "dubbo"

ALLOWED = {
    "dubbo._core": {"dubbo._core"},
    "dubbo._registry": {"dubbo._core", "dubbo._registry"},
    "dubbo._client": {"dubbo._core", "dubbo._registry", "dubbo._client"},
    "dubbo._server": {"dubbo._core", "dubbo._registry", "dubbo._server"},
    "dubbo.hessian2": {"dubbo.hessian2"},
    "dubbo.hessian2.wrapper": {"dubbo.hessian2", "dubbo._core"},
    "dubbo.hessian2.generic": {"dubbo.hessian2", "dubbo._core"},
    "dubbo.hessian2.invocation": {"dubbo.hessian2", "dubbo._core"},
    "dubbo.codegen": {"dubbo.codegen"},
    "dubbo.observability": {"dubbo._core", "dubbo.observability"},
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path) -> Dict[str, Set[str]]:
    """Every dubbo module this file imports (at the top or inside functions) -> the names taken from it."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: Dict[str, Set[str]] = {}
    tree = ast.parse(path.read_text())
    aliases: Dict[str, str] = {}  # a dubbo module bound to a local name -> that module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dubbo"):
                    found.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("dubbo"):
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if (PACKAGE.parent / submodule.replace(".", "/")).with_suffix(".py").exists() or (
                    PACKAGE.parent / submodule.replace(".", "/") / "__init__.py"
                ).exists():
                    found.setdefault(submodule, set())
                    aliases[alias.asname or alias.name] = submodule
                else:
                    found.setdefault(target, set()).add(alias.name)
    for node in ast.walk(tree):  # names reached through a module: ``_cluster.request_key``
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found[aliases[node.value.id]].add(node.attr)
    return found


MODULES = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return module


def _within(module: str, layers: Set[str]) -> bool:
    return any(module == layer or module.startswith(layer + ".") for layer in layers)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer):
    upward = [
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if _layer(module) == layer
        for target in targets
        if not _within(target, ALLOWED[layer])
    ]
    assert upward == []


def test_nothing_below_aio_imports_aio():
    upward = [
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if not _within(module, {"dubbo.aio"})
        for target in targets
        if _within(target, {"dubbo.aio"})
    ]
    assert upward == []


def test_the_import_graph_has_no_circles():
    graph = {module: {t for t in targets if t in MODULES and t != module} for module, targets in MODULES.items()}
    # A package's __init__ importing its own modules is how a package is made, not a circle.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    circles = []
    state: Dict[str, int] = {}

    def visit(module: str, path: list) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_module_imports_another_modules_private_names():
    private = [
        f"{module} takes {name} from {target}"
        for module, targets in MODULES.items()
        for target, names in targets.items()
        for name in sorted(names)
        if name.startswith("_") and not name.startswith("__")
    ]
    assert private == []
