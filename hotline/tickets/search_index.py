"""The free-text index of tickets: the jieba tokens of a ticket's content (search mode, numbers masked), kept
in `tickets.search_tokens` by whatever writes a ticket, and filled in batches for rows written before it
existed (migration 0013). PostgreSQL derives the tsvector (`tickets.search`) from them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import asyncpg
import structlog

from classifier.segment import Segmenter, default_segmenter, is_punctuation
from classifier.text import clean
from classifier.wordcut import DictionaryCutter
from hotline.analysis import place_index
from hotline.catalog_cache import load_catalog
from hotline.queries import Q

BACKFILL_BATCH = 5000
log = structlog.get_logger(__name__)


def index_tokens(segmenter: Segmenter, content: str) -> str:
    """Space-joined, lower-cased search words of the content: what `tickets.search_tokens` holds."""
    return " ".join(t.lower() for t in segmenter.search_words(content))


class BatchIndexer:
    """`index_tokens` for many texts at once, for imports and the backfill: jieba's dictionary cut done in numpy
    (classifier/wordcut.py, about four times faster than jieba per text), then jieba's search mode over its
    words (each long word's two- and three-character parts that are words, then the word). Equal to
    `Segmenter.search_words` on the bootstrap corpus (tests/tickets/test_search_words.py). Built from a
    snapshot of the segmenter's dictionary (about a second), so build one per run, not per batch."""

    def __init__(self, segmenter: Segmenter):
        self._freq, total, self._dropped = segmenter.dictionary()
        self._cutter = DictionaryCutter(self._freq, total)  # nothing dropped yet: parts of any word count

    def tokens(self, contents: Sequence[str]) -> list[str]:
        return [" ".join(self._search_words(words)) for words in self._cutter.words([clean(c) for c in contents])]

    def _search_words(self, words: list[str]) -> Iterator[str]:
        freq, dropped = self._freq, self._dropped
        for word in words:
            parts = [word[i : i + 2] for i in range(len(word) - 1)] if len(word) > 2 else []
            parts += [word[i : i + 3] for i in range(len(word) - 2)] if len(word) > 3 else []
            for token in (*(p for p in parts if freq.get(p)), word):
                if token.strip() and token not in dropped and not is_punctuation(token):
                    yield token.lower()


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
    indexer = BatchIndexer(city_segmenter(place_index(catalog).names() if catalog.org is not None else []))
    done = 0
    while rows := await conn.fetch(Q.search_unindexed, batch):
        tokens = indexer.tokens([r["content"] for r in rows])
        await conn.execute(Q.search_set_tokens, [r["id"] for r in rows], tokens)
        done += len(rows)
        log.info("search index filled", tickets=done)
    return done
