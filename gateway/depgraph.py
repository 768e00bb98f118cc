"""The package dependency graph of ``gateway``, read from the source (no imports run).

``python -m gateway.depgraph`` prints each package (a subpackage such as ``x12`` or a
top-level module such as ``settings``) and the packages it imports, lowest layer first,
and exits non-zero when the package graph or the module graph has a cycle or an import
points up the declared layer order (:data:`LAYERS`). ``--deferred`` lists the
function-level imports instead.
``tests/test_architecture.py`` enforces the same rules.

Which imports count: every ``import``/``from ... import`` of a ``gateway`` module, at
module level or inside a function. Imports under ``if TYPE_CHECKING:`` do not: they
never run, and they let a lower layer name a higher layer's type in an annotation
(:mod:`gateway.documents` names the signatures of the builders and planners it resolves
by dotted name).

A function-level import of a ``gateway`` module must say on its line why it is deferred
(``# deferred: <reason>``): a heavy optional dependency, start-up time of a command,
or a module that needs the process set up first. Never to dodge a cycle: fix the cycle.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "gateway"
ROOT = Path(__file__).resolve().parent
DEFERRED_MARK = "# deferred:"

# The declared layer order, lowest first. A package may import packages in its own
# layer or below, never above; within a layer the graph must still have no cycle.
LAYERS: tuple[tuple[str, ...], ...] = (
    # syntax-neutral EDI model; the two codecs; the protocol that picks one
    ("edi",),
    ("x12", "edifact"),
    ("engines",),
    # canonical documents and the document-type registry; partner profiles and settings
    ("identifiers", "canonical", "settings", "settings_doc", "states", "heap", "lifeline"),
    ("broker_files",),  # kombu only: the embedded broker's transport
    ("documents", "exception_policy"),
    ("partners", "identity", "owner_groups"),
    # maps (EDI <-> canonical) and the configuration that loads profiles with maps
    ("mapping",),
    ("partner_config",),
    # outbound documents from canonical ones; Odoo client and delivery
    ("odoo",),
    ("outbound", "notifications"),
    # persistence, then the stages, then the transports and process wiring
    ("store", "queries"),
    ("intake", "customer_items"),
    ("as2", "sftp"),
    ("reload",),
    ("pipeline",),
    ("transports", "continuation", "reconcile"),
    ("process",),
    ("tasks", "celery_app"),
    ("api", "as2_server"),
    ("supervisor", "demo", "demo_seller"),
    # reads the source only; below the CLI, whose ``dev depgraph`` prints it
    ("depgraph",),
    ("cli",),
)


@dataclass(frozen=True)
class Import:
    """One import of a ``gateway`` module found in the source."""

    path: Path  # the importing file
    line: int
    importer: str  # the importing module, dotted
    source: str  # the importing package (see :func:`package_of`)
    target: str  # the imported package
    module: str  # the imported module, dotted
    function_level: bool  # inside a function body (runs when the function is called)
    type_checking: bool  # under ``if TYPE_CHECKING:`` (never runs)
    text: str  # the source line

    @property
    def deferred_reason(self) -> str | None:
        """The reason after ``# deferred:`` on the import's line, if any."""
        _, mark, reason = self.text.partition(DEFERRED_MARK)
        return reason.strip() or None if mark else None


def package_of(module: str) -> str:
    """``gateway.x12.reader`` -> ``x12``; ``gateway.settings`` -> ``settings``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str, root: Path) -> bool:
    """Whether the dotted ``gateway`` name is a module or package in the tree at ``root``."""
    path = root.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, root: Path = ROOT
) -> list[str]:
    """The ``gateway`` modules an import statement names: ``from gateway.edifact import
    codes`` names the submodule ``gateway.edifact.codes``, ``from gateway.edifact import
    read_payload`` the package ``gateway.edifact`` (its ``__init__``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        name = ".".join([*base, *([node.module] if node.module else [])])
    else:
        name = node.module or ""
    if name.split(".")[0] != PACKAGE:
        return []
    named: list[str] = []
    for alias in node.names:
        sub = f"{name}.{alias.name}"
        target = sub if name == PACKAGE or _is_module(sub, root) else name
        if target not in named:
            named.append(target)
    return named


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _walk(
    body: Iterable[ast.stmt], in_function: bool, type_checking: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function, type_checking
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(node.body, True, type_checking)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, in_function, True)
            yield from _walk(node.orelse, in_function, type_checking)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    stmts = [s for s in inner if isinstance(s, ast.stmt)]
                    for item in inner:  # except handlers and match cases hold bodies
                        if isinstance(item, ast.ExceptHandler | ast.match_case):
                            stmts.extend(item.body)
                    yield from _walk(stmts, in_function, type_checking)


def imports(root: Path = ROOT) -> list[Import]:
    """Every import of a ``gateway`` module in the package at ``root`` (migrations aside:
    Alembic loads them by path)."""
    found: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        module = _module_name(path, root)
        source = package_of(module)
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        for node, in_function, type_checking in _walk(tree.body, False, False):
            for target in _imported(node, module, path.name == "__init__.py", root):
                found.append(
                    Import(
                        path=path,
                        line=node.lineno,
                        importer=module,
                        source=source,
                        target=package_of(target),
                        module=target,
                        function_level=in_function,
                        type_checking=type_checking,
                        text=lines[node.lineno - 1],
                    )
                )
    return found


def packages(root: Path = ROOT) -> list[str]:
    """Every package: the subpackages and top-level modules of ``gateway``."""
    found = [p.name for p in root.iterdir() if (p / "__init__.py").is_file()]
    found += [p.stem for p in root.glob("*.py") if p.name != "__init__.py"]
    return sorted(set(found) - {"migrations"})


def package_graph(found: Iterable[Import], root: Path = ROOT) -> dict[str, set[str]]:
    """Package -> the packages it imports at run time (module or function level)."""
    graph: dict[str, set[str]] = {name: set() for name in packages(root)}
    for item in found:
        graph.setdefault(item.source, set())
        if item.type_checking or item.target in (item.source, PACKAGE):
            continue
        graph[item.source].add(item.target)
        graph.setdefault(item.target, set())
    return graph


def module_graph(found: Iterable[Import]) -> dict[str, set[str]]:
    """Module -> the ``gateway`` modules it imports at run time (module or function
    level). Importing ``gateway.a.b`` also runs ``gateway/a/__init__.py`` first; that
    implicit edge is left out, so a package's ``__init__`` may re-export its modules."""
    graph: dict[str, set[str]] = {}
    for item in found:
        graph.setdefault(item.importer, set())
        if item.type_checking or item.module == item.importer:
            continue
        graph[item.importer].add(item.module)
    return graph


def cycle_path(graph: Mapping[str, Iterable[str]], component: Iterable[str]) -> list[str]:
    """One closed path through a cycle's members, ``[a, b, ..., a]``: the imports to
    look at (a strongly connected component may hold several loops; this is one)."""
    members = set(component)
    start = min(members)
    # breadth-first from start's successors back to start, inside the component
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in members or nxt in previous:
                continue
            previous[nxt] = node
            if nxt == start:
                path = [start]
                while path[-1] != start or len(path) == 1:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            queue.append(nxt)
    return sorted(members)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(package: str) -> int | None:
    """The index of the package's layer in :data:`LAYERS`, or None when undeclared."""
    for number, layer in enumerate(LAYERS):
        if package in layer:
            return number
    return None


def upward(found: Iterable[Import]) -> list[Import]:
    """Run-time imports that point from a lower layer to a higher one."""
    wrong: list[Import] = []
    for item in found:
        if item.type_checking or item.target in (item.source, PACKAGE):
            continue
        low, high = layer_of(item.source), layer_of(item.target)
        if low is not None and high is not None and high > low:
            wrong.append(item)
    return wrong


def undeclared(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Packages that are in the graph but in no layer."""
    return sorted(p for p in graph if p != PACKAGE and layer_of(p) is None)


def unmarked_deferred(found: Iterable[Import]) -> list[Import]:
    """Function-level imports of ``gateway`` modules without a ``# deferred:`` reason."""
    return [i for i in found if i.function_level and not i.type_checking and not i.deferred_reason]


def _where(item: Import) -> str:
    return f"{item.path.relative_to(ROOT.parent)}:{item.line}"


def render(graph: Mapping[str, Iterable[str]]) -> str:
    """The graph as text, lowest layer first: ``package -> imported, ...``."""
    order = {p: (layer_of(p) if layer_of(p) is not None else len(LAYERS), p) for p in graph}
    lines = []
    for package in sorted(graph, key=lambda p: order[p]):
        if package == PACKAGE:
            continue
        targets = sorted(graph[package], key=lambda p: order.get(p, (len(LAYERS), p)))
        lines.append(f"{package} -> {', '.join(targets) if targets else '(nothing)'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the graph (or the deferred imports); 1 when a rule is broken."""
    args = sys.argv[1:] if argv is None else argv
    found = imports()
    if "--deferred" in args:
        for item in found:
            if item.function_level and not item.type_checking:
                print(f"{_where(item)}: {item.text.strip()}")
        return 0
    graph = package_graph(found)
    print("layers (lowest first): " + " < ".join("/".join(layer) for layer in LAYERS))
    print(render(graph))
    problems = [f"cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    modules = module_graph(found)
    problems += [f"module cycle: {' -> '.join(cycle_path(modules, c))}" for c in cycles(modules)]
    problems += [
        f"upward: {_where(i)} {i.source} imports {i.module} ({i.target} is a higher layer)"
        for i in upward(found)
    ]
    problems += [f"not in LAYERS: {p}" for p in undeclared(graph)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
