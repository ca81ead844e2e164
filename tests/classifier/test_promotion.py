"""The promotion gate: macro-F1 within the tolerance and no class (with enough examples) losing more than
the margin; every reason in Chinese."""

from __future__ import annotations

from classifier.evaluate import evaluate
from classifier.promotion import PromotionRules, judge

RULES = PromotionRules(macro_f1_tolerance=0.01, class_margin=0.10, min_class_support=3)
TRUTH = ["噪音扰民"] * 4 + ["劳资纠纷"] * 4 + ["市政设施"] * 4 + ["社会救助"] * 2


def scores(predicted: list[str]) -> dict:
    return evaluate(TRUTH, predicted, sorted(set(TRUTH) | set(predicted))).to_dict()


def test_a_better_candidate_passes() -> None:
    current = scores(["噪音扰民"] * 4 + ["劳资纠纷"] * 2 + ["市政设施"] * 2 + ["市政设施"] * 4 + ["社会救助"] * 2)
    verdict = judge(scores(TRUTH), current, RULES)
    assert verdict.promote and verdict.reason.startswith("通过：宏平均F1 1.000（现用模型 ")


def test_equal_within_the_tolerance_passes() -> None:
    assert judge(scores(TRUTH), scores(TRUTH), RULES).promote


def test_lower_macro_f1_is_refused_with_the_drop() -> None:
    worse = scores(["劳资纠纷"] * 4 + TRUTH[4:])
    verdict = judge(worse, scores(TRUTH), RULES)
    assert not verdict.promote
    assert verdict.reasons[0].startswith("未通过：宏平均F1 下降 ")
    assert "类别「噪音扰民」F1 下降 1.000（1.000 → 0.000，4 件）" in verdict.reason


def test_one_class_falling_is_refused_even_when_macro_f1_holds() -> None:
    current = scores(["噪音扰民"] * 4 + ["劳资纠纷"] * 4 + ["市政设施"] * 2 + ["噪音扰民"] * 2 + ["劳资纠纷"] * 2)
    # better on average (社会救助 fixed), but 噪音扰民 loses a third of its F1
    candidate = scores(["噪音扰民"] * 2 + ["市政设施"] * 2 + ["劳资纠纷"] * 4 + ["市政设施"] * 4 + ["社会救助"] * 2)
    assert candidate["macro_f1"] > current["macro_f1"]
    verdict = judge(candidate, current, RULES)
    assert not verdict.promote
    assert verdict.reasons[0].startswith("未通过：类别「噪音扰民」F1 下降")


def test_classes_with_too_few_examples_are_not_judged_alone() -> None:
    current = scores(TRUTH)
    candidate = scores(TRUTH[:12] + ["市政设施"] * 2)  # 社会救助 (2 examples) lost: 市政设施 takes them
    loose = PromotionRules(macro_f1_tolerance=0.5, class_margin=0.25, min_class_support=3)
    assert judge(candidate, current, loose).promote  # 2 < 3 examples: 社会救助 is not judged on its own
    counted = PromotionRules(macro_f1_tolerance=0.5, class_margin=0.25, min_class_support=2)
    verdict = judge(candidate, current, counted)
    assert not verdict.promote and verdict.reasons[0].startswith("未通过：类别「社会救助」F1 下降 1.000")


def test_no_current_model_promotes() -> None:
    assert judge(scores(TRUTH), None, RULES).promote


def test_a_long_list_of_falling_classes_is_cut_short() -> None:
    many = ["甲", "乙", "丙", "丁", "戊", "己"]
    truth = [label for label in many for _ in range(3)]
    best = evaluate(truth, truth).to_dict()
    worst = evaluate(truth, truth[3:] + truth[:3]).to_dict()
    verdict = judge(worst, best, RULES)
    assert not verdict.promote and len(verdict.reasons) == 6 and verdict.reasons[4] == "另有 3 项下降超过容差"
