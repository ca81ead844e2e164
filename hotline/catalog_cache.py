"""The slowly changing data every request needs: org tree, categories, responsibility rules, places.

Loaded once per process and reloaded when `catalog_version_seq` moves (a trigger advances it on
any change, in any process), so a cache is never stale for longer than one request.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass

import asyncpg

from dispatch.org import Level, OrgTree, Unit
from dispatch.routing import ResponsibilityRule
from hotline.errors import ApiError
from hotline.queries import Q


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    level1: str
    active: bool = True
    description: str = ""


@dataclass(frozen=True)
class Catalog:
    version: int
    org: OrgTree | None
    codes: dict[str, int]
    sees_phone: frozenset[int]
    categories: dict[str, Category]
    rules: tuple[ResponsibilityRule, ...]
    places: tuple[tuple[str, str, int], ...]  # (name, kind, unit id)
    inactive: frozenset[int] = frozenset()  # deactivated or merged units: kept for history, route nothing

    @property
    def tree(self) -> OrgTree:
        if self.org is None:
            raise ApiError(503, "组织机构尚未导入，请先导入单位（hotline import units）", code="no_org_tree")
        return self.org

    @functools.cached_property
    def unit_names(self) -> dict[int, str]:
        return {u.id: u.name for u in self.org} if self.org else {}

    def category_code(self, name_or_code: str) -> str | None:
        if name_or_code in self.categories:
            return name_or_code
        for category in self.categories.values():
            if category.name == name_or_code:
                return category.code
        return None

    def unit_path(self, unit_id: int) -> list[int]:
        """The unit and its ancestors: who should see events about it."""
        return [unit_id, *(u.id for u in self.tree.ancestors(unit_id))]


async def load_catalog(conn: asyncpg.Connection) -> Catalog:
    # one consistent view of the five reads; inside a caller's transaction, that transaction's view
    isolation = None if conn.is_in_transaction() else "repeatable_read"
    async with conn.transaction(isolation=isolation, readonly=isolation is not None):
        version = await conn.fetchval(Q.catalog_version)
        unit_rows = await conn.fetch(Q.all_units)
        category_rows = await conn.fetch(Q.all_categories)
        rule_rows = await conn.fetch(Q.all_rules)
        place_rows = await conn.fetch(Q.all_places)
    units = [
        Unit(r["id"], r["name"], Level(r["level"]), r["parent_id"], tuple(r["aliases"]), r["kind"]) for r in unit_rows
    ]
    return Catalog(
        version=version,
        org=OrgTree(units) if units else None,
        codes={r["code"]: r["id"] for r in unit_rows},
        sees_phone=frozenset(r["id"] for r in unit_rows if r["sees_phone"]),
        categories={
            r["code"]: Category(r["code"], r["name"], r["level1"], r["active"], r["description"]) for r in category_rows
        },
        rules=tuple(
            ResponsibilityRule(
                category_code=r["category_code"],
                level=Level(r["level"]),
                owner_kind=r["owner_kind"],
                owner_unit_id=r["owner_unit_id"],
                co_handler_kinds=tuple(r["co_handler_kinds"]),
                priority=r["priority"],
            )
            for r in rule_rows
        ),
        places=tuple((r["name"], r["kind"], r["unit_id"]) for r in place_rows),
        inactive=frozenset(r["id"] for r in unit_rows if not r["active"]),
    )


class CatalogCache:
    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()

    @property
    def last(self) -> Catalog | None:
        """The catalog loaded most recently, for code that must not do I/O (the websocket filter)."""
        return self._catalog

    async def get(self, conn: asyncpg.Connection, version: int | None = None) -> Catalog:
        """The catalog as stored; `version`: the stored version when the caller has just read it (with other
        versions, in one statement: Q.transaction_versions), else it is read here."""
        if version is None:
            version = await conn.fetchval(Q.catalog_version)
        if self._catalog is not None and self._catalog.version == version:
            return self._catalog
        async with self._lock:
            if self._catalog is None or self._catalog.version != version:
                self._catalog = await load_catalog(conn)
            return self._catalog
