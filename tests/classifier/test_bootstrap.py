import csv

from classifier.bootstrap import CATEGORIES, CORPUS, read_categories, read_corpus
from classifier.bootstrap.generate import generate
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
    texts, _ = read_corpus()
    for call, _ in CLASSIFIER_CALLS:
        assert not any(call in text or text.rstrip("。") in call for text in texts), call
