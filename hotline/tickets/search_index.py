"""The free-text index of tickets: the jieba tokens of a ticket's content (search mode, numbers masked), kept
in `tickets.search_tokens` by whatever writes a ticket, and filled in batches for rows written before it
existed (migration 0013). PostgreSQL derives the tsvector (`tickets.search`) from them."""

from __future__ import annotations

import asyncpg
import structlog

from classifier.segment import Segmenter, default_segmenter
from hotline.analysis import place_index
from hotline.catalog_cache import load_catalog
from hotline.queries import Q

BACKFILL_BATCH = 5000
log = structlog.get_logger(__name__)


def index_tokens(segmenter: Segmenter, content: str) -> str:
    """Space-joined, lower-cased search words of the content: what `tickets.search_tokens` holds."""
    return " ".join(t.lower() for t in segmenter.search_words(content))


def city_segmenter(places: list[str]) -> Segmenter:
    """The process's segmenter with the city's place names as words, as intake cuts text."""
    segmenter = default_segmenter()
    segmenter.add_words(places)
    return segmenter


async def backfill(conn: asyncpg.Connection, batch: int = BACKFILL_BATCH) -> int:
    """Index every ticket that has no tokens yet, `batch` rows per statement; returns how many."""
    if not await conn.fetchval(Q.search_unindexed_exists):
        return 0
    catalog = await load_catalog(conn)
    segmenter = city_segmenter(place_index(catalog).names() if catalog.org is not None else [])
    done = 0
    while rows := await conn.fetch(Q.search_unindexed, batch):
        tokens = [index_tokens(segmenter, r["content"]) for r in rows]
        await conn.execute(Q.search_set_tokens, [r["id"] for r in rows], tokens)
        done += len(rows)
        log.info("search index filled", tickets=done)
    return done
