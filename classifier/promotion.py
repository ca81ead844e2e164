"""The promotion gate: may a candidate model replace the current one?

Both are scored on the same held-back slice (the newest settled tickets, seen by neither). The
candidate passes when its macro-F1 is not lower than the current model's by more than
``macro_f1_tolerance`` and no class it is scored on (``min_class_support`` examples or more in the
slice) loses more than ``class_margin`` of F1. Every reason is a Chinese sentence for the admin page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_REASONS = 4  # the rest are counted: a reason is read on a page


@dataclass(frozen=True)
class PromotionRules:
    macro_f1_tolerance: float = 0.01
    class_margin: float = 0.10
    min_class_support: int = 10


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


def judge(candidate: dict[str, Any], current: dict[str, Any] | None, rules: PromotionRules) -> Verdict:
    """`candidate` and `current` are ``Evaluation.to_dict()`` on the same slice; no current model: promote."""
    if current is None:
        return Verdict(True, (f"当前没有可用模型；候选模型宏平均F1 {candidate['macro_f1']:.3f}",))
    new, old = candidate["macro_f1"], current["macro_f1"]
    reasons = [f"宏平均F1 {new:.3f}（现用模型 {old:.3f}，{new - old:+.3f}）"]
    failed = []
    if new < old - rules.macro_f1_tolerance:
        failed.append(f"宏平均F1 下降 {old - new:.3f}，超过容差 {rules.macro_f1_tolerance:.3f}")
    drops = []
    for label, mine in candidate["per_class"].items():
        theirs = current["per_class"].get(label)
        support = mine["support"]
        if theirs is None or support < rules.min_class_support:
            continue
        drop = theirs["f1"] - mine["f1"]
        if drop > rules.class_margin:
            drops.append((-drop, label, theirs["f1"], mine["f1"], support))
    for minus, label, before, after, support in sorted(drops):
        failed.append(
            f"类别「{label}」F1 下降 {-minus:.3f}（{before:.3f} → {after:.3f}，{support} 件），"
            f"超过单类容差 {rules.class_margin:.3f}"
        )
    if failed:
        shown = failed[:MAX_REASONS]
        if len(failed) > MAX_REASONS:
            shown.append(f"另有 {len(failed) - MAX_REASONS} 项下降超过容差")
        return Verdict(False, ("未通过：" + shown[0], *shown[1:], *reasons))
    return Verdict(True, ("通过：" + reasons[0],))
