"""Intake's category guesses asked for at the same time are made in one call of the model (hotline/analysis.py):
each ticket gets the guess it would get alone, and the callers of one turn of the event loop share the call."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from classifier.bootstrap import train_default_model
from hotline.analysis import TextServices
from tests.support.services import ROOT

CORPUS = ROOT / "classifier" / "bootstrap" / "corpus.csv"


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> TextServices:
    path: Path = tmp_path_factory.mktemp("model")
    train_default_model(path)
    return TextServices(path)


async def test_guesses_asked_together_are_one_batch_and_each_its_own(
    text: TextServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CORPUS.open(encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)][:40]
    model = text.model.model
    batches: list[int] = []
    predict_batch = model.predict_batch
    alone = [model.predict_one(t) for t in texts]
    monkeypatch.setattr(model, "predict_batch", lambda ts: batches.append(len(ts)) or predict_batch(ts))
    guesses = await asyncio.gather(*(text.predictions.predict(t) for t in texts))
    assert batches == [len(texts)]
    assert [g for g, _ in guesses] == alone
    assert {v for _, v in guesses} == {model.metadata["version"]}
    # later callers start the next batch
    assert (await text.predictions.predict(texts[0]))[0] == alone[0]
    assert batches == [len(texts), 1]


async def test_a_failed_batch_fails_each_caller(text: TextServices, monkeypatch: pytest.MonkeyPatch) -> None:
    model = text.model.model

    def broken(texts: list[str]) -> None:
        raise RuntimeError("model broke")

    monkeypatch.setattr(model, "predict_batch", broken)
    asked = [text.predictions.predict(t) for t in ("噪音扰民", "路灯坏了")]
    results = await asyncio.gather(*asked, return_exceptions=True)
    assert [str(r) for r in results] == ["model broke", "model broke"]
