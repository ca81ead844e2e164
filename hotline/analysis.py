"""The text core as the shell uses it: category, place, complexity, tokens and similarity of a ticket.

Wraps classifier/ (pure) with the process's catalog: place names come from the org tree and
the places table, categories are mapped from the model's labels (Chinese names) to codes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.artifact import ModelHandle
from classifier.complexity import DEFAULT_COMPLEX_CATEGORIES, assess_complexity
from classifier.model import Prediction
from classifier.places import PlaceIndex, PlaceRecord
from classifier.segment import Segmenter, default_segmenter
from classifier.similarity import similarity
from dispatch.routing import Place
from hotline.catalog_cache import Catalog

PLACE_LEVELS = ("district", "street", "community", "grid")


@dataclass(frozen=True)
class Analysis:
    category_code: str | None
    confidence: float
    category_source: str | None
    top: list[dict[str, Any]]
    place: Place
    place_details: dict[str, Any]
    is_complex: bool
    complexity_reasons: list[str]
    complexity_score: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None  # the model that guessed the category (None: a person chose it)

    def place_json(self) -> dict[str, Any]:
        return {
            "district_id": self.place.district_id,
            "street_id": self.place.street_id,
            "community_id": self.place.community_id,
            "grid_id": self.place.grid_id,
            "confidence": self.place.confidence,
            "ambiguous": self.place.ambiguous,
            "matched": self.place.matched,
            **self.place_details,
        }

    def complexity_json(self) -> dict[str, Any]:
        return {"is_complex": self.is_complex, "score": self.complexity_score, "reasons": self.complexity_reasons}

    def to_json(self, catalog: Catalog) -> dict[str, Any]:
        category = catalog.categories.get(self.category_code or "")
        return {
            "category_code": self.category_code,
            "category_name": category.name if category else None,
            "confidence": round(self.confidence, 4),
            "category_source": self.category_source,
            "top": self.top,
            "model_version": self.model_version,
            "place": self.place_json(),
            "complexity": self.complexity_json(),
        }


def _model_text(content: str, address: str) -> str:
    """What the category model reads: the address, then the content."""
    return f"{address} {content}".strip()


def place_index(catalog: Catalog) -> PlaceIndex:
    """The places callers name: active units from district down, and the roads and estates of the places
    table (a deactivated or merged unit keeps its row for history but no longer takes tickets)."""
    records = [
        PlaceRecord(u.id, u.name, u.level.value, u.parent_id, tuple(u.aliases))
        for u in catalog.tree
        if u.level.value in PLACE_LEVELS and u.id not in catalog.inactive
    ]
    records += [
        PlaceRecord(-(i + 1), name, kind, unit_id, ()) for i, (name, kind, unit_id) in enumerate(catalog.places)
    ]
    return PlaceIndex(records)


# A prediction and the version of the model that made it.
Guess = tuple[Prediction, str | None]


class PredictionBatch:
    """The category guesses asked for in one turn of the event loop, made in one call of the model.

    A single prediction is mostly numpy's fixed cost per call (a dozen small array operations per feature
    block): sixteen texts take about as long as three alone. A web process at full load has many requests at
    the same step, so the calls that come in the same turn wait for the end of it and share one batch (at low
    load, a batch of one, one turn later). Each row of a batch is computed as it would be alone: the same
    probabilities (tests/classifier/test_model.py)."""

    def __init__(self, model: ModelHandle):
        self.model = model
        self._waiting: list[tuple[str, asyncio.Future[Guess]]] = []

    def predict(self, text: str) -> asyncio.Future[Guess]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Guess] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._run)  # after the callbacks of this turn, which may ask for more
        self._waiting.append((text, future))
        return future

    def _run(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            model = self.model.model
            predictions = model.predict_batch([text for text, _ in waiting])
        except Exception as exc:  # each caller fails as it would have failed alone
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        version = model.metadata.get("version")
        for (_, future), prediction in zip(waiting, predictions, strict=True):
            if not future.done():  # a request cancelled meanwhile no longer waits
                future.set_result((prediction, version))


class TextServices:
    """One per process: the jieba dictionary and the model are loaded once and shared."""

    def __init__(
        self, model_dir: Path, complex_categories: Iterable[str] = DEFAULT_COMPLEX_CATEGORIES,
        segmenter: Segmenter | None = None, reload_check_s: float = 5.0,
    ):  # fmt: skip
        self.complex_categories = frozenset(complex_categories)
        self.segmenter = segmenter or default_segmenter()
        self.model = ModelHandle(model_dir, check_s=reload_check_s)
        self.predictions = PredictionBatch(self.model)
        self._places: tuple[int, PlaceIndex] | None = None

    def tokens(self, text: str) -> list[str]:
        return self.segmenter.cut(text)

    def similarity(self, a: str, b: str) -> float:
        return similarity(a, b)

    def place_index(self, catalog: Catalog) -> PlaceIndex:
        if self._places is None or self._places[0] != catalog.version:
            index = place_index(catalog)
            self.segmenter.add_words(index.names())
            self._places = (catalog.version, index)
        return self._places[1]

    async def analyse_batched(
        self,
        catalog: Catalog,
        content: str,
        address: str,
        category_code: str | None = None,
        is_complex: bool | None = None,
    ) -> Analysis:
        """`analyse`, the model's guess made in one batch with the others asked for at the same time (intake at
        full load: PredictionBatch)."""
        guess = None
        if category_code is None and content:
            guess = await self.predictions.predict(_model_text(content, address))
        return self.analyse(catalog, content, address, category_code, is_complex, guess=guess)

    def analyse(
        self,
        catalog: Catalog,
        content: str,
        address: str,
        category_code: str | None = None,
        is_complex: bool | None = None,
        *,
        guess: Guess | None = None,
    ) -> Analysis:
        """Category, place and complexity; `guess`: the model's guess when the caller has it already."""
        top: list[dict[str, Any]] = []
        prediction = None
        version = None
        code: str | None
        source: str | None
        if category_code is not None:
            code, confidence, source = category_code, 1.0, "operator"
        elif content:
            if guess is None:
                model = self.model.model
                guess = model.predict_one(_model_text(content, address)), model.metadata.get("version")
            prediction, version = guess
            top = [
                {"code": catalog.category_code(label), "name": label, "confidence": round(p, 4)}
                for label, p in prediction.top
            ]
            code = catalog.category_code(prediction.label)
            confidence, source = (prediction.confidence, "classifier") if code else (0.0, None)
        else:
            code, confidence, source = None, 0.0, None
        match = self.place_index(catalog).resolve(address, content)
        place = Place(
            district_id=match.unit_at("district"),
            street_id=match.unit_at("street"),
            community_id=match.unit_at("community"),
            grid_id=match.unit_at("grid"),
            confidence=match.confidence,
            ambiguous=match.ambiguous,
            matched="、".join(match.matched),
        )
        details = {"reasons": list(match.reasons), "candidates": match.candidates_json()}
        category_name = catalog.categories[code].name if code in catalog.categories else None
        assessed = assess_complexity(
            content, category_name, match, complex_categories=self.complex_categories, prediction=prediction
        )
        complex_flag = assessed.is_complex if is_complex is None else is_complex
        reasons = (
            list(assessed.reasons)
            if is_complex is None
            else ["话务员标记为复杂工单" if is_complex else "话务员标记为普通工单"]
        )
        return Analysis(
            code, confidence, source, top, place, details, complex_flag, reasons, assessed.score, model_version=version
        )
