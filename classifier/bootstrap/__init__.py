"""The default taxonomy and the bootstrap corpus the project wrote itself, so a new city classifies
out of the box; it then trains on its own history (``hotline classifier train``).

The corpus has two parts: ``corpus.csv``, short calls made from templates by ``generate.py`` (also the
demo city's ticket texts), and ``messages/<CODE>.txt``, messages written by hand one per line, with the
length, registers and variety of real ones (web messages to a leader, operators' summaries, calls,
questions), so the starting model is not toy-like on real text."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.artifact import save_model
from classifier.model import Progress, TextClassifier, train_model

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.csv"
MESSAGES = HERE / "messages"
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


def read_messages(directory: Path = MESSAGES) -> tuple[list[str], list[str]]:
    """The hand-written messages: one file per category code, one message per line, ``#`` comments."""
    names = {c.code: c.name for c in read_categories()}
    texts: list[str] = []
    labels: list[str] = []
    for path in sorted(directory.glob("*.txt")):
        if path.stem not in names:
            raise ValueError(f"{path.name}: no category with code {path.stem} in {CATEGORIES.name}")
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                texts.append(line)
                labels.append(names[path.stem])
    return texts, labels


def read_bootstrap() -> tuple[list[str], list[str]]:
    """What the starting model learns from: the template calls, then the hand-written messages."""
    texts, labels = read_corpus()
    more_texts, more_labels = read_messages()
    return texts + more_texts, labels + more_labels


def template_groups(texts: list[str]) -> list[str]:
    """The generator's template of each text (a text not made by it is a group of its own)."""
    from classifier.bootstrap.generate import generate

    template = {text: group for text, _, group in generate()}
    return [template.get(text, f"row:{i}") for i, text in enumerate(texts)]


def train_default_model(directory: Path | str, progress: Progress | None = None) -> TextClassifier:
    """Train the starting model from the bootstrap corpus into ``directory`` (seconds). Calibration
    folds hold out whole templates, so confidences are those of phrasings the model has not seen."""
    texts, labels = read_bootstrap()
    model = train_model(texts, labels, groups=template_groups(texts), progress=progress)
    extra: dict[str, Any] = {"training_data": "classifier/bootstrap/corpus.csv + classifier/bootstrap/messages/"}
    model.metadata.update(extra)
    save_model(model, directory)
    return model
