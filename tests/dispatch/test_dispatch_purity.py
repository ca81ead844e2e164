"""dispatch/ is the pure core: stdlib only, no I/O, no clock of its own; and its doc shows the
state machine the code enforces."""

import ast
from pathlib import Path

import dispatch
from dispatch.states import mermaid_diagram

ROOT = Path(__file__).resolve().parents[2]
STDLIB = "__future__ collections dataclasses datetime enum functools itertools typing zoneinfo"
ALLOWED = set(STDLIB.split())
FORBIDDEN_CALLS = {"open", "print", "now", "today", "utcnow", "time_ns", "monotonic"}


def modules():
    return sorted((ROOT / "dispatch").glob("*.py"))


def test_imports_stdlib_and_itself_only():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED or top == "dispatch", f"{path.name} imports {name}"


def test_no_io_and_no_clock():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}()"


def test_package_exports_resolve():
    for name in dispatch.__all__:
        assert getattr(dispatch, name) is not None


def test_doc_shows_the_state_machine_in_the_code():
    doc = (ROOT / "docs" / "dispatch.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_diagram()}\n```" in doc
