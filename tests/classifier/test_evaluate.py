import json
import random

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from classifier.evaluate import evaluate


def test_agrees_with_sklearn() -> None:
    rng = random.Random(3)
    labels = ["噪音扰民", "物业管理", "劳资纠纷", "市政设施"]
    truth = [rng.choice(labels) for _ in range(300)]
    predicted = [t if rng.random() < 0.7 else rng.choice(labels) for t in truth]
    result = evaluate(truth, predicted, labels)
    assert result.n == 300
    assert abs(result.accuracy - accuracy_score(truth, predicted)) < 1e-12
    assert abs(result.macro_f1 - f1_score(truth, predicted, average="macro")) < 1e-12
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels)
    for i, scores in enumerate(result.per_class):
        assert scores.label == labels[i]
        assert abs(scores.precision - precision[i]) < 1e-12
        assert abs(scores.recall - recall[i]) < 1e-12
        assert abs(scores.f1 - f1[i]) < 1e-12
        assert scores.support == support[i]
    assert result.confusion == confusion_matrix(truth, predicted, labels=labels).tolist()


def test_a_label_only_predicted_counts_like_sklearn() -> None:
    truth = ["a", "a", "b"]
    predicted = ["a", "c", "b"]
    result = evaluate(truth, predicted, ["a", "b"])
    assert result.labels == ["a", "b", "c"]
    assert abs(result.macro_f1 - f1_score(truth, predicted, average="macro")) < 1e-12


def test_text_and_json_renderings() -> None:
    result = evaluate(["噪音扰民", "物业管理", "物业管理"], ["噪音扰民", "物业管理", "噪音扰民"])
    text = result.render()
    assert "macro-F1" in text and "噪音扰民" in text and "confusion" in text
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["n"] == 3 and data["accuracy"] == round(2 / 3, 4)
    assert data["per_class"]["物业管理"] == {"precision": 1.0, "recall": 0.5, "f1": round(2 / 3, 4), "support": 2}
    assert data["confusion"] == [[1, 0], [1, 1]]
