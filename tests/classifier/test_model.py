import json
import random
from datetime import datetime

import numpy as np
import pytest

from classifier.artifact import METADATA_FILE, load_model, save_model
from classifier.bootstrap import read_corpus, template_groups
from classifier.calibration import expected_calibration_error, fit_temperature, softmax
from classifier.model import CHAR_ONLY, FeatureConfig, TextClassifier, train_model
from classifier.segment import build_segmenter
from classifier.text import feature_text
from classifier.wordcut import hash_strings


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    return read_corpus()


@pytest.fixture(scope="module")
def model(corpus: tuple[list[str], list[str]]) -> TextClassifier:
    return train_model(*corpus)


def test_train_save_load_round_trip(model: TextClassifier, corpus: tuple[list[str], list[str]], tmp_path) -> None:
    texts, labels = corpus
    save_model(model, tmp_path, metrics={"note": "round trip"})
    loaded = load_model(tmp_path)
    sample = [*texts[:50], "一段模型没见过的话"]
    np.testing.assert_array_equal(loaded.predict_proba(sample), model.predict_proba(sample))

    meta = json.loads((tmp_path / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["labels"] == sorted(set(labels)) == loaded.labels
    assert meta["n_train"] == len(texts)
    assert len(meta["training_data_sha256"]) == 64
    assert datetime.fromisoformat(meta["trained_at"]).utcoffset().total_seconds() == 0
    assert meta["version"].endswith(meta["training_data_sha256"][:8])
    assert meta["features"]["analyzer"] == "char+word" and meta["features"]["ngram_range"] == [1, 3]
    assert set(meta["blocks"]) == {"char", "head", "words"} and all(meta["blocks"].values())
    assert sum(meta["blocks"].values()) == meta["n_features"]
    assert meta["metrics"]["cv"]["folds"] == 5 and meta["metrics"]["note"] == "round trip"
    assert FeatureConfig.from_json(meta["features"]) == model.config


def test_predictions_carry_sorted_top_k_probabilities(model: TextClassifier) -> None:
    prediction = model.predict_one("楼上邻居天天半夜跳绳，咚咚响睡不着", k=3)
    assert prediction.top[0][0] == prediction.label
    probabilities = [p for _, p in prediction.top]
    assert probabilities == sorted(probabilities, reverse=True) and len(probabilities) == 3
    assert prediction.confidence == probabilities[0]
    assert np.allclose(model.predict_proba(["随便一句话", ""]).sum(axis=1), 1.0)
    assert model.predict_batch([]) == []


def test_a_text_in_a_batch_gets_the_probabilities_it_gets_alone(
    model: TextClassifier, corpus: tuple[list[str], list[str]]
) -> None:
    """Intake predicts the tickets that arrive together in one batch (hotline/analysis.py): each row must be
    what the text alone would get, to the last bit."""
    texts = [*corpus[0][:120], "", "一段模型没见过的话"]
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    for size in (2, 5, 16):
        batched = np.vstack([model.predict_proba(texts[i : i + size]) for i in range(0, len(texts), size)])
        np.testing.assert_array_equal(batched, alone)


def test_progress_is_reported_to_the_end(corpus: tuple[list[str], list[str]]) -> None:
    texts, labels = corpus
    seen: list[tuple[str, int, int]] = []
    train_model(texts[:200], labels[:200], progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[0][1] == 0 and seen[-1][1] == seen[-1][2] == len(seen) - 1


def test_two_labels_and_bad_input() -> None:
    texts = ["停水了", "又停水", "没水用", "工资没发", "拖欠工资", "欠薪"] * 3
    labels = ["水", "水", "水", "钱", "钱", "钱"] * 3
    model = train_model(texts, labels)
    assert model.predict_one("家里停水").label == "水"
    assert model.predict_one("老板不发工资").label == "钱"
    with pytest.raises(ValueError):
        train_model(texts, ["水"] * len(texts))
    with pytest.raises(ValueError):
        train_model(texts, labels[:-1])


def test_temperature_scaling_calibrates_without_changing_the_ranking(corpus: tuple[list[str], list[str]]) -> None:
    """Held-out templates (never seen in training) are the honest test of the confidences."""
    texts, labels = corpus
    groups = template_groups(texts)
    held_out = set(random.Random(7).sample(sorted(set(groups)), 40))
    train = [i for i, g in enumerate(groups) if g not in held_out]
    test = [i for i, g in enumerate(groups) if g in held_out]
    model = train_model([texts[i] for i in train], [labels[i] for i in train], groups=[groups[i] for i in train])
    test_texts = [texts[i] for i in test]
    truth = np.searchsorted(np.array(model.labels), np.array([labels[i] for i in test]))
    calibrated = model.predict_proba(test_texts)
    raw = softmax(model.linear.scores([feature_text(t) for t in test_texts]))
    assert (calibrated.argmax(axis=1) == raw.argmax(axis=1)).all()
    # measured 0.03-0.06 for three different held-out draws; uncalibrated about 0.7
    assert expected_calibration_error(calibrated, truth) < 0.1
    assert expected_calibration_error(calibrated, truth) < expected_calibration_error(raw, truth)


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 5)) * 3
    truth = np.array([rng.choice(5, p=p) for p in softmax(logits)])
    # the model's scores are the true logits scaled down 4x: the fitted temperature undoes it
    assert fit_temperature(logits / 4, truth) == pytest.approx(0.25, rel=0.1)


def test_the_character_only_configuration(corpus: tuple[list[str], list[str]], tmp_path) -> None:
    texts, labels = corpus
    chars = train_model(texts, labels, config=CHAR_ONLY)
    assert chars.metadata["features"]["analyzer"] == "char" and "words" not in chars.metadata["blocks"]
    assert [block.name for block in chars.linear.blocks] == ["char", "head"]
    assert FeatureConfig.from_json(chars.metadata["features"]) == CHAR_ONLY
    save_model(chars, tmp_path)
    sample = [*texts[:30], "楼下烧烤店油烟太大"]
    np.testing.assert_array_equal(load_model(tmp_path).predict_proba(sample), chars.predict_proba(sample))


def test_jieba_words_are_features_and_move_the_scores(model: TextClassifier) -> None:
    words = next(block for block in model.linear.blocks if block.name == "words")
    assert words.weight == model.config.word_weight > 0
    vocabulary = set(words.vectorizer.vocabulary.tolist())
    # domain words of the Segmenter (kept whole) are features of the word block
    assert set(hash_strings(["物业费", "噪音扰民", "路灯"]).view(np.int64).tolist()) <= vocabulary
    text = feature_text("物业费又涨了")
    arrays = words.vectorizer.transform_arrays([text])
    assert len(arrays[1]) > 0
    without = model.linear.scores([text]) - words.weight * (arrays[2] @ words.weights[arrays[1]])
    assert not np.allclose(without, model.linear.scores([text]))


def test_the_model_keeps_the_segmenters_words_as_they_were_when_trained(
    corpus: tuple[list[str], list[str]], tmp_path
) -> None:
    texts, labels = corpus
    segmenter = build_segmenter()
    model = train_model(texts[:400], labels[:400], segmenter=segmenter)
    sample = ["柳岸社区停水两天了", *texts[400:440]]
    before = model.predict_proba(sample)
    segmenter.add_words(["柳岸社区", "停水两天"])  # a city's place names arrive later
    np.testing.assert_array_equal(model.predict_proba(sample), before)
    save_model(model, tmp_path)
    np.testing.assert_array_equal(load_model(tmp_path).predict_proba(sample), before)
