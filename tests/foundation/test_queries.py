"""The named-query loader: blocks, fragments included by name, and the start-up check."""

import dataclasses
from pathlib import Path

import asyncpg
import pytest

from hotline.queries import Q, QueryError, load_queries
from hotline.tickets.records import Ticket


def write(directory: Path, name: str, text: str) -> Path:
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_a_fragment_is_included_where_a_query_names_it_and_is_not_a_query_itself(tmp_path: Path) -> None:
    queries = load_queries(
        write(
            tmp_path,
            "a.sql",
            "-- fragment: cols\nid, name\n\n-- name: units\nSELECT {{cols}} FROM units WHERE id = $1;\n",
        )
    )
    assert queries.units == "SELECT id, name FROM units WHERE id = $1;"
    assert [name for name, _ in queries] == ["units"]


def test_a_fragment_is_readable_by_name_for_a_dynamic_statement(tmp_path: Path) -> None:
    queries = load_queries(write(tmp_path, "a.sql", "-- fragment: cols\nid, name\n"))
    assert queries.fragment("cols") == "id, name"
    with pytest.raises(AttributeError, match="no SQL fragment named 'colz'"):
        queries.fragment("colz")


def test_the_ticket_dataclass_has_the_columns_of_the_ticket_columns_fragment_in_order() -> None:
    columns = [column.strip() for column in Q.fragment("ticket_columns").split(",")]
    assert columns == [field.name for field in dataclasses.fields(Ticket)]


def test_an_unknown_fragment_stops_loading(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="unknown fragment 'colz'"):
        load_queries(write(tmp_path, "a.sql", "-- name: units\nSELECT {{colz}} FROM units;\n"))


def test_a_name_defined_twice_stops_loading(tmp_path: Path) -> None:
    write(tmp_path, "a.sql", "-- name: units\nSELECT 1;\n")
    with pytest.raises(QueryError, match="defined twice"):
        load_queries(write(tmp_path, "b.sql", "-- fragment: units\nid\n"))


def test_sql_before_the_first_header_stops_loading(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="before the first"):
        load_queries(write(tmp_path, "a.sql", "SELECT 1;\n-- name: units\nSELECT 2;\n"))


@pytest.mark.usefixtures("clean")
async def test_every_named_query_prepares_against_the_migrated_schema(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await Q.check(conn)
    assert len(Q) > 50
