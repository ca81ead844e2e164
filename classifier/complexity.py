"""Is a ticket complex (复杂工单: screened and accepted within a day) or ordinary (replied to within
an hour)? Rules a person can check, each adding to a score with a reason in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_COMPLEX_CATEGORIES = frozenset({"房地产市场", "劳资纠纷"})
COMPLEX_THRESHOLD = 0.5
LONG_TEXT_CHARS = 300

_ENUMERATION = re.compile(r"一是|二是|三是|第一|第二|第三|其一|其二|另外|此外|还有|同时|[1-9][、.．)]")
_GROUP = re.compile(r"集体|群体|多名|多位|上百|几十户|全体业主|全体村民|联名|数十名|上访")
_QUESTION = re.compile(r"[?？]")


class Places(Protocol):
    """What complexity needs of a place match (classifier.places.PlaceMatch fits)."""

    candidates: tuple[object, ...]
    matched: tuple[str, ...]


@dataclass(frozen=True)
class Complexity:
    is_complex: bool
    score: float
    reasons: tuple[str, ...]


def assess_complexity(
    text: str,
    category: str | None,
    places: Places | None = None,
    *,
    complex_categories: Iterable[str] = DEFAULT_COMPLEX_CATEGORIES,
) -> Complexity:
    score, reasons = 0.0, []
    if len(text) > LONG_TEXT_CHARS:
        score += 0.3
        reasons.append(f"诉求内容较长（{len(text)} 字）")
    issues = len(_ENUMERATION.findall(text))
    if issues >= 2:
        score += 0.5
        reasons.append(f"包含多项诉求（{issues} 处分项表述）")
    questions = len(_QUESTION.findall(text))
    if questions >= 3:
        score += 0.2
        reasons.append(f"提出多个问题（{questions} 个问号）")
    group = _GROUP.search(text)
    if group:
        score += 0.4
        reasons.append(f"涉及群体性诉求（“{group.group()}”）")
    if category is not None and category in set(complex_categories):
        score += 0.3
        reasons.append(f"「{category}」类诉求通常需多部门甄别")
    if places is not None and (len(places.candidates) > 1 or len(places.matched) >= 3):
        score += 0.3
        reasons.append("涉及多个地点或单位")
    is_complex = score >= COMPLEX_THRESHOLD
    if not reasons:
        reasons.append("单一诉求，按普通工单处理")
    return Complexity(is_complex, round(score, 2), tuple(reasons))
