"""The default taxonomy and the bootstrap corpus the project writes itself, so the demo city
classifies out of the box; a city then trains on its own history (hotline classifier train)."""

from __future__ import annotations

import csv
from pathlib import Path

from classifier.model import save_model, train

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.csv"
CATEGORIES = HERE / "categories.csv"


def read_corpus(path: Path = CORPUS) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def train_default_model(directory: Path) -> None:
    texts, labels = read_corpus()
    save_model(train(texts, labels), directory)
