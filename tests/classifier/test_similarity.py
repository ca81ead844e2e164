"""Near-duplicate grouping: the prefix-filtered pass gives exactly the naive greedy's groups."""

from __future__ import annotations

import csv
import random

from classifier.similarity import bigrams, dice, leader_groups, shared_window_rows, similarity
from hotline.demo.history import CORPUS


def _naive(texts: list[str], threshold: float) -> list[int | None]:
    leaders: list[int] = []
    out: list[int | None] = []
    for i, text in enumerate(texts):
        grams = bigrams(text)
        if not grams:
            out.append(None)
            continue
        leader = next((j for j in leaders if dice(grams, bigrams(texts[j])) >= threshold), None)
        if leader is None:
            leaders.append(i)
            leader = i
        out.append(leader)
    return out


def test_prefix_filter_matches_naive_greedy() -> None:
    rng = random.Random(7)
    corpus = [row["text"] for row in csv.DictReader(CORPUS.read_text(encoding="utf-8").splitlines())][:300]
    texts = []
    for _ in range(600):
        text = list(rng.choice(corpus))
        for _ in range(rng.randint(0, 4)):  # small edits: near-identical, some just under the threshold
            text[rng.randrange(len(text))] = rng.choice("水电气路灯噪音停")
        texts.append("".join(text))
    texts += ["", "！！", "停水"]
    for threshold in (0.6, 0.8, 0.95):
        assert leader_groups(texts, threshold) == _naive(texts, threshold)


def test_similarity_is_symmetric_and_bounded() -> None:
    assert similarity("小区停水了", "小区停水了！") == 1.0
    assert similarity("", "停水") == 0.0
    assert 0 < similarity("小区停水了", "停水了小区") < 1


def test_shared_window_rows_counts_texts_sharing_a_stretch() -> None:
    others = ["昨天听说我家小区物业不管事情", "别的话"]
    texts = ["我家小区物业不管事情很多年了", "完全不同的一句话", "物业不管"]
    assert shared_window_rows(texts, others, 8) == 1
    assert shared_window_rows(texts, others, 4) == 2
    assert shared_window_rows(texts, others, 20) == 0
    assert shared_window_rows([], others, 4) == 0
