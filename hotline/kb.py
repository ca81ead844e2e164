"""The knowledge base (知识库): answers the operator reads out during a call.

Chinese search: entries store their jieba tokens; a query is cut the same way and matched
with PostgreSQL full-text search over those tokens (the 'simple' configuration, which leaves
tokens as they are).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

Cut = Callable[[str], list[str]]

SEARCH_SQL = """
WITH q AS (
    SELECT to_tsquery('simple', string_agg(quote_literal(lower(t)), ' | ')) AS query
    FROM unnest($1::text[]) AS t
)
SELECT e.id, e.title, e.answer, e.category_code, e.keywords,
       ts_rank(e.search, q.query) + CASE WHEN e.category_code = $2 THEN 0.2 ELSE 0 END AS score
FROM kb_entries e, q
WHERE e.active AND e.search @@ q.query
ORDER BY score DESC, e.id
LIMIT $3
"""


async def search(
    conn: asyncpg.Connection, cut: Cut, query: str, *, category_code: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    tokens = sorted(set(cut(query)))[:64]
    if not tokens:
        return []
    rows = await conn.fetch(SEARCH_SQL, tokens, category_code, limit)
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
            """INSERT INTO kb_entries (title, answer, category_code, keywords, tokens)
               VALUES ($1, $2, $3, $4, $5) RETURNING id""",
            title,
            answer,
            category_code,
            keywords,
            entry_tokens(cut, title, keywords, answer),
        )
    )
