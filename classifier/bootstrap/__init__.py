"""The default taxonomy and the bootstrap corpus the project wrote itself, so the demo city classifies
out of the box; a city then trains on its own history (``hotline classifier train``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.artifact import save_model
from classifier.model import Progress, TextClassifier, train_model

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.csv"
CATEGORIES = HERE / "categories.csv"


@dataclass(frozen=True)
class Category:
    code: str
    level1: str
    name: str
    description: str


def read_categories(path: Path = CATEGORIES) -> list[Category]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [Category(r["code"], r["level1"], r["name"], r["description"]) for r in csv.DictReader(fh)]


def read_corpus(path: Path = CORPUS) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def template_groups(texts: list[str]) -> list[str]:
    """The generator's template of each text (a text not made by it is a group of its own)."""
    from classifier.bootstrap.generate import generate

    template = {text: group for text, _, group in generate()}
    return [template.get(text, f"row:{i}") for i, text in enumerate(texts)]


def train_default_model(directory: Path | str, progress: Progress | None = None) -> TextClassifier:
    """Train the shipped demo model from corpus.csv into ``directory`` (a few seconds). Calibration
    folds hold out whole templates, so confidences are those of phrasings the model has not seen."""
    texts, labels = read_corpus()
    model = train_model(texts, labels, groups=template_groups(texts), progress=progress)
    extra: dict[str, Any] = {"training_data": "classifier/bootstrap/corpus.csv"}
    model.metadata.update(extra)
    save_model(model, directory)
    return model
