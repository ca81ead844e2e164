"""Why a ticket was misrouted, from what its events say (docs/report.md, "Misrouting").

A misroute is a dispatch undone: a return the level above approved, or a dispatcher pulling an assigned
ticket back before sign-for to send it elsewhere. What changed at the re-route says why:

- the category was corrected: the category that misrouted it was the classifier's (`CLASSIFIER`) or a
  person's, at intake or at the dispatch gate (`DISPATCHER`);
- same category, a person had chosen the unit: `DISPATCHER`;
- same category, auto-dispatched: if the new unit lies in another place (neither place contains the
  other: another district, street or community) the place was resolved wrongly (`PLACE`); if it is in the
  same place, the responsibility table named the wrong owner (`RULE`);
- not re-routed yet: `PENDING`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Cause(StrEnum):
    CLASSIFIER = "classifier", "分类模型分错类别"
    PLACE = "place", "地点识别错误"
    RULE = "rule", "责任清单不当"
    DISPATCHER = "dispatcher", "派单人员选择不当"
    PENDING = "pending", "待改派"

    label: str

    def __new__(cls, value: str, label: str = "") -> Cause:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def same_place(a: Sequence[int], b: Sequence[int]) -> bool:
    """Two place chains (unit ids from the city down to a place unit) name the same place when one
    contains the other: 东湖区 and 东湖区/青山街道 do, 青山街道/柳岸社区 and 青山街道/翠竹社区 do not."""
    shorter = min(len(a), len(b))
    return tuple(a[:shorter]) == tuple(b[:shorter])


def cause_of(
    *,
    rerouted: bool,
    corrected_from: str | None,
    auto: bool,
    old_place: Sequence[int],
    new_place: Sequence[int],
) -> Cause:
    """`corrected_from`: the source ('classifier', 'operator', 'dispatcher') of the category a correction
    replaced between the dispatch and the re-route, None if the category stayed; `auto`: the dispatch that
    sent the ticket to the wrong unit was automatic; the places are those of the wrong and the new unit."""
    if not rerouted:
        return Cause.PENDING
    if corrected_from is not None:
        return Cause.CLASSIFIER if corrected_from == "classifier" else Cause.DISPATCHER
    if not auto:
        return Cause.DISPATCHER
    return Cause.RULE if same_place(old_place, new_place) else Cause.PLACE
