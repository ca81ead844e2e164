"""Pooled connections are released without a reset (hotline/db.py), so no code may leave session
state on one: no LISTEN, no session advisory locks, no plain SET, no temporary tables or held cursors.
The migration runner and the ticket import's lock are the exceptions: they run on connections of their own,
never pooled ones."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OWN_CONNECTION = {"hotline/migrate.py", "sql/queries/import_lock.sql"}
SESSION_STATE = re.compile(
    r"""add_listener|pg_(try_)?advisory_lock|set_config\([^)]*false|CREATE\s+TEMP|WITH\s+HOLD
    |(?-i:\bLISTEN\s|\bPREPARE\s)  # SQL keywords are upper case here; "cannot listen" in a log is not SQL
    |(\A|["';(]|--[^\n]*\n)\s*SET\s+(?!LOCAL\b)(SESSION\s+)?[a-z_]+\s*(=|\bTO\b)  # a SET statement, not UPDATE's""",
    re.IGNORECASE | re.VERBOSE,
)


def offenders(text: str) -> list[int]:
    """Line numbers of session state in a file's text."""
    return [text[: m.start()].count("\n") + 1 for m in SESSION_STATE.finditer(text)]


def test_no_session_state_on_pooled_connections() -> None:
    files = [*(ROOT / "hotline").rglob("*.py"), *(ROOT / "sql" / "queries").glob("*.sql")]
    found = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if str(path.relative_to(ROOT)) not in OWN_CONNECTION and (lines := offenders(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_pattern_catches_session_state() -> None:
    caught = ('"LISTEN board"', '"SELECT pg_advisory_lock(1)"', '"SET statement_timeout = 0"', "-- name: x\nSET a TO b")
    for text in caught:
        assert offenders(text), text
    for text in ('"SET LOCAL plan_cache_mode = x"', '"UPDATE t SET a = 1"', "DO UPDATE\n    SET a = 1", "xact_lock(1)"):
        assert not offenders(text), text
