"""The import contract: declared layers, no package cycles, pure engines and mapping,
function-level imports only with a reason (gateway/depgraph.py reads the source)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway import depgraph

REPO = Path(__file__).resolve().parents[1]
FOUND = depgraph.imports()
GRAPH = depgraph.package_graph(FOUND)

# The codecs and the mapping engine are pure: bytes and objects in and out.
PURE = ("edi", "x12", "edifact", "engines", "mapping")
NEVER_FROM_PURE = ("store", "settings", "pipeline", "odoo")


def test_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "gateway"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("from . import mod\n")
    (pkg / "low" / "mod.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from gateway import high\n"
        "if TYPE_CHECKING:\n"
        "    from gateway.top import T\n"
        "def f():\n"
        "    try:\n"
        "        import gateway.store.db  # deferred: test\n"
        "    except ImportError:\n"
        "        from ..other import x\n"
    )
    found = depgraph.imports(pkg)
    seen = {(i.module, i.function_level, i.type_checking, i.deferred_reason) for i in found}
    assert seen == {
        ("gateway.low.mod", False, False, None),  # "from . import mod": the module
        ("gateway.high", False, False, None),
        ("gateway.top", False, True, None),
        ("gateway.store.db", True, False, "test"),
        ("gateway.other", True, False, None),
    }
    graph = depgraph.package_graph(found, pkg)
    assert graph["low"] == {"high", "store", "other"}  # TYPE_CHECKING is no edge
    assert depgraph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_package_cycles() -> None:
    assert depgraph.cycles(GRAPH) == []


def test_no_module_cycles() -> None:
    # among modules, not just packages: function-level imports count (a cycle is fixed by
    # moving what both sides share into a lower module, not hidden in a function body)
    modules = depgraph.module_graph(FOUND)
    found = [" -> ".join(depgraph.cycle_path(modules, c)) for c in depgraph.cycles(modules)]
    assert found == [], "module import cycles (break each, see CONTRIBUTING.md): " + "; ".join(
        found
    )


def test_module_cycles_are_found_and_named() -> None:
    graph = {"g.a": {"g.b"}, "g.b": {"g.c"}, "g.c": {"g.a", "g.d"}, "g.d": set()}
    (component,) = depgraph.cycles(graph)
    assert component == ["g.a", "g.b", "g.c"]
    assert depgraph.cycle_path(graph, component) == ["g.a", "g.b", "g.c", "g.a"]


def test_every_package_has_a_layer() -> None:
    assert depgraph.undeclared(GRAPH) == [], "add it to LAYERS in gateway/depgraph.py"
    layered = [p for layer in depgraph.LAYERS for p in layer]
    assert len(layered) == len(set(layered))
    gone = sorted(set(layered) - set(GRAPH))
    assert gone == [], f"LAYERS names packages that do not exist: {gone}"


def test_nothing_below_imports_above() -> None:
    wrong = [f"{i.path.name}:{i.line} {i.source} -> {i.module}" for i in depgraph.upward(FOUND)]
    assert wrong == []


def test_engines_and_mapping_never_import_store_settings_pipeline_or_odoo() -> None:
    # type-only imports count here too: a codec does not even name the store's types
    wrong = [
        f"{i.path.relative_to(REPO)}:{i.line} {i.module}"
        for i in FOUND
        if i.source in PURE and i.target in NEVER_FROM_PURE
    ]
    assert wrong == []


def test_function_level_imports_say_why() -> None:
    unmarked = [
        f"{i.path.relative_to(REPO)}:{i.line}: {i.text.strip()}"
        for i in depgraph.unmarked_deferred(FOUND)
    ]
    assert unmarked == [], (
        "a function-level import of a gateway module needs '# deferred: <reason>' on its "
        "line (or move it to the top of the module; a cycle is fixed, not dodged):\n"
        + "\n".join(unmarked)
    )


def test_depgraph_command_prints_the_graph_one_way() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.depgraph"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("layers (lowest first): edi < x12/edifact < engines")
    assert "engines -> edi, edifact, x12" in lines
    # printed lowest layer first, every edge points to an earlier line or its own layer
    rank = {p: depgraph.layer_of(p) for p in GRAPH}
    for line in lines[1:]:
        source, _, targets = line.partition(" -> ")
        for target in targets.split(", "):
            if target != "(nothing)":
                assert rank[target] <= rank[source], line


def test_cli_dev_depgraph_prints_the_same_with_the_same_exit_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from gateway.cli.main import app

    module = subprocess.run(
        [sys.executable, "-m", "gateway.depgraph"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    done = CliRunner().invoke(app, ["dev", "depgraph"])
    assert (done.exit_code, done.stdout) == (module.returncode, module.stdout) == (0, done.stdout)
    deferred = CliRunner().invoke(app, ["dev", "depgraph", "--deferred"])
    assert deferred.exit_code == 0
    assert "gateway/cli/runtime.py:" in deferred.stdout and "# deferred:" in deferred.stdout

    # given layers turned upside down, every import points up: both ways exit 1
    monkeypatch.setattr(depgraph, "LAYERS", tuple(reversed(depgraph.LAYERS)))
    broken = CliRunner().invoke(app, ["dev", "depgraph"])
    assert broken.exit_code == depgraph.main([]) == 1
    assert "upward: gateway/" in broken.stderr
