"""Scoring and questionnaires stay plain Python (no web framework, no database, no pandas); the
import graph has no circle and keeps its layers (shared, then the apps, then sipas); the
architecture map (docs/architecture.md) names every package; no test module imports another."""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "sqlalchemy", "pandas")


def test_scoring_and_questionnaires_import_no_framework():
    # A fresh interpreter: the test process itself has long imported Flask and friends.
    code = (
        "import json, sys\n"
        "import shared.scoring, shared.questionnaires\n"
        "shared.questionnaires.registry()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert "shared.scoring" in modules
    loaded = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert loaded == [], f"imported by shared.scoring or shared.questionnaires: {loaded}"


# -- the import graph -----------------------------------------------------------------------------

#: The packages whose imports are checked, from the bottom layer up: `shared` serves both apps,
#: `kiosk` and `collector` are the apps, `sipas` (the command and the demo) puts them together.
PACKAGES = ("shared", "kiosk", "collector", "sipas")
APPS = ("kiosk", "collector", "sipas")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The module names an import statement names (before resolving `from x import name`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports, anywhere in it (inside functions too: a
    deferred import still ties the two modules together). `from package import name` counts as
    an import of `package.name` when that is a module, else of `package`."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = _imported(node, module, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom):
                base, *members = names
                edges.update(name if name in modules else base for name in members)
                edges &= modules.keys()
            else:
                edges.update(name for name in names if name in modules)
        graph[module] = edges - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_import_graph_is_read_whole():
    graph = import_graph()
    # The scanner sees relative, deferred and `from package import module` imports alike.
    assert "collector.responses.contract" in graph["collector.api.openapi"]
    assert "collector.receipts" in graph["collector"]
    assert "kiosk.cli" not in graph["sipas.cli"]  # named as a string, loaded lazily
    assert "sipas.demo" in graph["sipas.cli"]
    assert {"collector", "kiosk"} <= graph["sipas.demo"]


def test_no_import_circle():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_shared_imports_no_app_and_no_app_imports_the_composition_root():
    graph = import_graph()

    def upward(source: str, forbidden: tuple[str, ...]) -> list[str]:
        return sorted(
            f"{module} -> {target}"
            for module, targets in graph.items()
            if module.split(".")[0] == source
            for target in targets
            if target.split(".")[0] in forbidden
        )

    assert upward("shared", APPS) == []
    assert upward("kiosk", ("collector", "sipas")) == []
    assert upward("collector", ("kiosk", "sipas")) == []


def test_the_architecture_map_names_every_package():
    """docs/architecture.md names each package of the apps, and names none that is gone."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = {
        f"{path.parent.relative_to(ROOT).as_posix()}/"
        for top in ("shared", "kiosk", "collector", "sipas")
        for path in (ROOT / top).glob("*/__init__.py")
        if path.parent.name not in ("migrations", "translations")
    } | {f"{top}/" for top in PACKAGES}
    named = set(re.findall(r"`((?:shared|kiosk|collector|sipas)/(?:[a-z_]+/)?)`", text))
    assert packages - named == set(), "packages the map does not name"
    assert named - packages - {"collector/migrations/"} == set(), "named packages that are gone"


# -- the tests' own imports -----------------------------------------------------------------------


def _suite_imports(source: str, module: str, is_one) -> list[str]:
    """The modules of the suite (under `tests.`) that this file imports, up to the first part of
    their name for which `is_one(part)` holds; those with no such part are left out."""
    is_package = module.endswith(".__init__")
    module = module.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _imported(node, module, is_package):
            parts = name.split(".")
            hits = [i for i, part in enumerate(parts) if is_one(part)]
            if parts[0] == "tests" and hits:
                found.add(".".join(parts[: hits[0] + 1]))
    return sorted(found)


def _test_module_imports(source: str, module: str) -> list[str]:
    """The test modules (`test_*.py`) that this file of the suite imports: what tests share lives
    in a conftest's fixtures, tests/factories.py or a helper module, never in a test module."""
    return _suite_imports(source, module, lambda part: part.startswith("test_"))


def _conftest_imports(source: str, module: str) -> list[str]:
    """The conftest modules this file of the suite imports: a conftest holds fixtures, which pytest
    hands out; what tests share as code lives in tests/factories.py or a helper module."""
    return _suite_imports(source, module, lambda part: part == "conftest")


def _imports_of_the_suite(find) -> dict[str, list[str]]:
    """File of the suite -> what `find` finds in its imports, for the files where it finds any."""
    imports = {
        path.relative_to(ROOT).as_posix(): find(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(ROOT).with_suffix("").parts),
        )
        for path in sorted((ROOT / "tests").rglob("*.py"))
    }
    return {path: names for path, names in imports.items() if names}


def test_no_test_module_imports_another():
    assert _imports_of_the_suite(_test_module_imports) == {}


def test_no_module_of_the_suite_imports_a_conftest():
    assert _imports_of_the_suite(_conftest_imports) == {}


def test_the_test_import_check_finds_one():
    source = (
        "from tests.collector.test_reports_cli import smtp\n"
        "from tests.collector import test_admin\n"
        "import tests.browser.test_guard\n"
        "from tests.collector.conftest import count\n"
        "from tests.collector.report_figures import figures_from_page\n"
        "from .test_cli import run\n"
    )
    assert _test_module_imports(source, "tests.collector.test_x") == [
        "tests.browser.test_guard",
        "tests.collector.test_admin",
        "tests.collector.test_cli",
        "tests.collector.test_reports_cli",
    ]


def test_the_conftest_import_check_finds_one():
    source = (
        "from tests.collector.conftest import count\n"
        "from tests.browser import conftest\n"
        "import tests.kiosk.conftest\n"
        "from .conftest import register\n"
        "from tests.factories import make_user\n"
        "from tests.collector.report_figures import figures_from_page\n"
    )
    assert _conftest_imports(source, "tests.integration.test_x") == [
        "tests.browser.conftest",
        "tests.collector.conftest",
        "tests.integration.conftest",
        "tests.kiosk.conftest",
    ]
