"""The knowledge base (知识库): answers the operator reads out during a call.

Chinese search: entries store their jieba tokens; a query is cut the same way and matched
with PostgreSQL full-text search over those tokens (the 'simple' configuration, which leaves
tokens as they are).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from hotline.queries import Q

Cut = Callable[[str], list[str]]


async def search(
    conn: asyncpg.Connection, cut: Cut, query: str, *, category_code: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    tokens = sorted(set(cut(query)))[:64]
    if not tokens:
        return []
    rows = await conn.fetch(Q.kb_search, tokens, category_code, limit)
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "answer": r["answer"],
            "category_code": r["category_code"],
            "keywords": list(r["keywords"]),
            "score": round(float(r["score"]), 4),
        }
        for r in rows
    ]


def entry_tokens(cut: Cut, title: str, keywords: list[str], answer: str) -> str:
    return " ".join(t.lower() for t in cut(" ".join([title, *keywords, answer])))


async def update_entry(
    conn: asyncpg.Connection,
    cut: Cut,
    entry_id: int,
    title: str,
    answer: str,
    category_code: str | None,
    keywords: list[str],
    active: bool,
) -> bool:
    """An administrator's edit, its search tokens cut anew; False when there is no such entry."""
    tokens = entry_tokens(cut, title, keywords, answer)
    updated = await conn.fetchval(Q.update_kb_entry, entry_id, title, answer, category_code, keywords, tokens, active)
    return updated is not None


async def add_entry(
    conn: asyncpg.Connection,
    cut: Cut,
    title: str,
    answer: str,
    category_code: str | None,
    keywords: list[str],
) -> int:
    return int(
        await conn.fetchval(
            Q.insert_kb_entry,
            title,
            answer,
            category_code,
            keywords,
            entry_tokens(cut, title, keywords, answer),
        )
    )
