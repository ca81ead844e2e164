"""Named SQL queries from sql/queries/*.sql, loaded once and checked against the schema at start-up.

A file holds blocks introduced by `-- name: query_name`; values are passed as $1, $2, ...
A block introduced by `-- fragment: fragment_name` is not a query: it is text (a column list,
say) that queries include as `{{fragment_name}}`, so no statement is assembled in Python.
"""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

QUERIES_DIR = Path(__file__).resolve().parent.parent / "sql" / "queries"
_HEADER = re.compile(r"^--\s*(name|fragment):\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_INCLUDE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class QueryError(Exception):
    pass


class Queries:
    """Attribute access to named queries: `Q.insert_unit` is the SQL text."""

    def __init__(self, queries: dict[str, str], fragments: dict[str, str] | None = None):
        self._queries = queries
        self._fragments = fragments or {}

    def __getattr__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"no SQL query named {name!r} in {QUERIES_DIR}") from None

    def fragment(self, name: str) -> str:
        """A fragment's text, for the few truly dynamic statements that cannot be named queries."""
        try:
            return self._fragments[name]
        except KeyError:
            raise AttributeError(f"no SQL fragment named {name!r} in {QUERIES_DIR}") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._queries.items())

    def __len__(self) -> int:
        return len(self._queries)

    async def check(self, conn: asyncpg.Connection) -> None:
        """Prepare every query, so a typo or a schema mismatch stops start-up rather than a request."""
        for name, sql in self._queries.items():
            try:
                await conn.prepare(sql)
            except asyncpg.PostgresError as exc:
                raise QueryError(f"query {name}: {exc}") from exc


def _include(name: str, sql: str, fragments: dict[str, str]) -> str:
    def fragment(match: re.Match[str]) -> str:
        try:
            return fragments[match.group(1)]
        except KeyError:
            raise QueryError(f"query {name!r} includes an unknown fragment {match.group(1)!r}") from None

    return _INCLUDE.sub(fragment, sql)


def load_queries(directory: Path = QUERIES_DIR) -> Queries:
    queries: dict[str, str] = {}
    fragments: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        parts = _HEADER.split(text)
        if parts[0].strip() and not all(line.startswith("--") for line in parts[0].strip().splitlines()):
            raise QueryError(f"{path.name}: SQL before the first '-- name:' header")
        for kind, name, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
            if name in queries or name in fragments:
                raise QueryError(f"{path.name}: {name!r} is defined twice")
            sql = body.strip()
            if not sql:
                raise QueryError(f"{path.name}: {kind} {name!r} is empty")
            (fragments if kind == "fragment" else queries)[name] = sql
    for name, sql in fragments.items():
        if _INCLUDE.search(sql):
            raise QueryError(f"fragment {name!r} includes another fragment; keep fragments flat")
    return Queries({name: _include(name, sql, fragments) for name, sql in queries.items()}, fragments)


Q = load_queries()
