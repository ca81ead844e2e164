"""The shape of the house: hotline -> dispatch, classifier, realtime and never back; tests that stand alone."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"hotline", "dispatch", "classifier", "realtime"}
FORBIDDEN = {
    "dispatch": {"hotline", "classifier", "realtime"},
    "classifier": {"hotline", "dispatch", "realtime"},
    "realtime": {"hotline"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & OURS


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_core_packages_do_not_import_the_shell(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for package in sorted(OURS) for p in (ROOT / package).rglob("*.py")}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of ours that `path` imports, at the top or inside a function (lazy imports count)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from package import module` names a module; `from module import name` names the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere_lazy_imports_included() -> None:
    modules = our_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


DOCUMENTED_PATH = re.compile(r"`((?:hotline|dispatch|classifier|realtime)/[\w/]*(?:\.py)?)`")


def test_architecture_doc_names_every_module_and_only_existing_ones() -> None:
    """docs/architecture.md is where a newcomer looks for where a file goes; it must stay true."""
    named = set(DOCUMENTED_PATH.findall((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")))
    missing_files = sorted(p for p in named if not (ROOT / p).exists())
    assert missing_files == [], "docs/architecture.md names paths that do not exist"
    modules = {
        str(p.relative_to(ROOT)) for package in sorted(OURS) for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    }  # fmt: skip
    covered = {m for m in modules if m in named}
    assert sorted(modules - covered) == [], "docs/architecture.md does not name these modules"


def test_hotline_keeps_its_top_level_small() -> None:
    """Concepts get a package of their own (sla/, report/, imports/, demo/, tickets/ ...)."""
    assert len(list((ROOT / "hotline").glob("*.py"))) <= 34


SQL_STATEMENT = re.compile(r"^\s*\(?\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS)\b")
# Where a statement may stay in Python (docs/architecture.md says why for each).
INLINE_SQL_ALLOWED = {
    "hotline/migrate.py",  # the migration runner's bootstrap
    "hotline/health.py",  # health probe
    "hotline/jobs.py",  # the ping job's probe
    "hotline/embedded.py",  # creating the database before any query can run
    "hotline/tickets/journal.py",  # apply_hops: the SET list is dynamic
}


def string_literals(path: Path) -> list[str]:
    texts = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            texts.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    return texts


def test_every_static_statement_is_a_named_query() -> None:
    offenders = {
        str(path.relative_to(ROOT)): [t.strip()[:60] for t in string_literals(path) if SQL_STATEMENT.match(t)]
        for package in sorted(OURS)
        for path in (ROOT / package).rglob("*.py")
    }
    found = {k: v for k, v in offenders.items() if v and k not in INLINE_SQL_ALLOWED}
    assert found == {}, "move these statements to sql/queries/<area>.sql"


def test_the_statement_finder_finds_statements() -> None:
    assert SQL_STATEMENT.match("SELECT id FROM tickets") and SQL_STATEMENT.match("\n  INSERT INTO x VALUES (1)")
    assert SQL_STATEMENT.match("WITH moved AS (UPDATE t SET a = 1)") and not SQL_STATEMENT.match("Select a unit")


TESTS = ROOT / "tests"
SUPPORT = "tests.support"


def imported_test_modules(path: Path, text: str | None = None) -> set[str]:
    """Modules under tests/ that the file at `path` (or `text` as if it were there) imports, lazily too,
    other than the support package."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    stems = {p.stem for p in TESTS.rglob("*.py")} - {"__init__"}
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if text is None else text)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:  # relative: against the importing package
            base = package[: len(package) - node.level + 1]
            names.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    inside = {n for n in names if n == "tests" or n.startswith("tests.")}
    # pytest may put a test directory on sys.path, so a bare `import orgdata` could reach a file in tests/ too
    bare = {n for n in names if n.split(".")[0] in stems - OURS}
    return {n for n in inside | bare if n != SUPPORT and not n.startswith(SUPPORT + ".")}


def test_no_test_module_imports_another() -> None:
    """Shared texts, helpers and harnesses live in tests/support/, fixtures in conftest.py files."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in TESTS.rglob("*.py")
        if (found := imported_test_modules(path))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from tests.api.test_ticket_lifecycle import NOISE_CALL", {"tests.api.test_ticket_lifecycle"}),
        ("from tests.conftest import ok", {"tests.conftest"}),
        ("def f():\n    from .test_access import READS", {"tests.api.test_access"}),
        ("from . import conftest", {"tests.api"}),
        ("import orgdata", {"orgdata"}),
        ("from tests.support.calls import NOISE_CALL\nfrom tests.support import waiting\nimport hotline.app", set()),
    ],
)
def test_the_import_check_catches_test_modules(text: str, expected: set[str]) -> None:
    assert imported_test_modules(TESTS / "api" / "test_probe.py", text) == expected


def test_the_collection_refuses_unmarked_chromium_and_tests_that_do_not_start_empty(tmp_path: Path) -> None:
    """CI's second pass deselects `browser` tests, so one that drives Chromium unmarked fails the run loudly,
    even where -m would have deselected it; so does one on the shared services without `clean` (it would
    see the rows the test before it left). Only those are named."""
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n\n"
        "async def test_forgot_the_marker(open_as, city):\n    pass\n\n\n"
        "@pytest.mark.browser\nasync def test_marked(browser):\n    pass\n\n\n"
        "async def test_forgot_clean(pool):\n    pass\n\n\n"
        "async def test_clean(login, clean):\n    pass\n\n\n"
        "def test_no_services():\n    pass\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-o", "asyncio_mode=auto", "--collect-only", "-q", "-m", "not browser", str(tmp_path)]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    named = set(re.findall(r"test_probe\.py::(\w+)", refused.stderr))
    assert named == {"test_forgot_the_marker", "test_forgot_clean"}, refused.stderr
