import csv
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from classifier.bootstrap import (
    CATEGORIES,
    CORPUS,
    MESSAGES,
    read_bootstrap,
    read_categories,
    read_corpus,
    read_messages,
    template_groups,
)
from classifier.bootstrap.generate import generate
from classifier.text import mask_personal_numbers, normalize
from tests.support.calls import CLASSIFIER_CALLS

EXPECTED = [
    ("PROPERTY", "城乡建设", "物业管理"),
    ("ILLEGAL_BUILD", "城乡建设", "私搭乱建"),
    ("MUNICIPAL", "城乡建设", "市政设施"),
    ("UTILITIES", "城乡建设", "水电气暖"),
    ("HOUSING", "城乡建设", "房地产市场"),
    ("NOISE", "环境保护", "噪音扰民"),
    ("POLLUTION", "环境保护", "环境污染"),
    ("WAGES", "劳动和社会保障", "劳资纠纷"),
    ("SOCIAL_INS", "劳动和社会保障", "社会保险"),
    ("SCHOOL", "教育文体", "教育就学"),
    ("CONSUMER", "商贸旅游", "消费维权"),
    ("MARKET", "商贸旅游", "市场秩序"),
    ("HEALTH", "卫生计生", "医疗卫生"),
    ("TRANSIT", "交通运输", "公共交通"),
    ("TRAFFIC", "交通运输", "道路交通"),
    ("WELFARE", "民政", "社会救助"),
]


def test_the_sixteen_default_categories() -> None:
    with open(CATEGORIES, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == ["code", "level1", "name", "description"]
    assert [(c.code, c.level1, c.name) for c in read_categories()] == EXPECTED
    assert all(c.description for c in read_categories())


def test_corpus_covers_every_category_with_varied_calls() -> None:
    texts, labels = read_corpus()
    names = {name for _, _, name in EXPECTED}
    assert set(labels) == names
    assert min(labels.count(name) for name in names) >= 60
    assert len(set(texts)) == len(texts)
    assert max(map(len, texts)) > 3 * min(map(len, texts))


def test_the_csv_is_what_the_generator_writes() -> None:
    with open(CORPUS, encoding="utf-8", newline="") as fh:
        rows = [tuple(row) for row in csv.reader(fh)][1:]
    assert rows == [(text, label) for text, label, _ in generate()]


def test_test_calls_are_not_copied_from_the_corpus() -> None:
    texts, _ = read_bootstrap()
    for call, _ in CLASSIFIER_CALLS:
        assert not any(call in text or text.rstrip("。") in call for text in texts), call


def test_hand_written_messages_cover_every_category_in_balance() -> None:
    texts, labels = read_messages()
    counts = Counter(labels)
    assert set(counts) == {name for _, _, name in EXPECTED}
    assert len(texts) >= 1500
    assert min(counts.values()) >= 80
    assert min(counts.values()) / max(counts.values()) >= 0.6
    assert len(set(texts)) == len(texts)
    assert not set(texts) & set(read_corpus()[0])
    assert {path.stem for path in MESSAGES.glob("*.txt")} == {code for code, _, _ in EXPECTED}


def test_messages_read_like_real_ones() -> None:
    """Several sentences, some long web messages, the registers a hotline receives; no personal numbers."""
    texts, _ = read_messages()
    assert statistics.median(map(len, texts)) >= 60
    assert sum(len(t) >= 150 for t in texts) >= 250
    assert sum(len(re.findall("[。！？；]", t)) >= 2 for t in texts) >= len(texts) / 2
    openings = {"尊敬的": 40, "来电人": 300, "您好": 150, "网友留言": 50, "请问": 80, "投诉": 100}
    for opening, at_least in openings.items():
        assert sum(opening in t[:12] for t in texts) >= at_least, opening
    assert [t for t in texts if mask_personal_numbers(normalize(t)) != normalize(t)] == []


def test_a_message_file_must_be_named_by_a_category_code(tmp_path: Path) -> None:
    (tmp_path / "PROPERTY.txt").write_text("# comment\n\n物业不修电梯\n", encoding="utf-8")
    assert read_messages(tmp_path) == (["物业不修电梯"], ["物业管理"])
    (tmp_path / "LIFTS.txt").write_text("电梯坏了\n", encoding="utf-8")
    with pytest.raises(ValueError, match="LIFTS"):
        read_messages(tmp_path)


def test_bootstrap_is_templates_then_messages_each_message_its_own_group() -> None:
    texts, _ = read_bootstrap()
    templates, _ = read_corpus()
    assert texts[: len(templates)] == templates
    groups = template_groups(texts)
    assert len(set(groups[len(templates) :])) == len(texts) - len(templates)
