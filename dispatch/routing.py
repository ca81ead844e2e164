"""Routing: from (category, place) to the unit that must act, through the responsibility
table (民生问题办理责任分解表), as a recorded decision with reasons.

Routing never guesses: it dispatches automatically only when the category is confident, a rule
matches, and the place is certain and deep enough for that rule; otherwise the ticket waits in
the dispatcher queue of the deepest unit that can be determined. Inconsistent data (a rule or a
place naming a unit that is not in the tree, or the wrong kind of unit) raises `RoutingError`
rather than sending the ticket somewhere arbitrary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from dispatch.org import Level, OrgError, OrgTree, Unit

# The levels a place can be resolved to, top down.
_PLACE_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)


class RoutingError(ValueError):
    """The responsibility table, the org tree or the place contradict each other."""


@dataclass(frozen=True)
class ResponsibilityRule:
    """One line of the responsibility table: who leads (主办) on a category.

    The owner is, by `level`:
    - `department` with `owner_kind` (e.g. '城管局'): that department of the place's district;
    - `district` / `street` / `community` / `grid`: the place's own unit at that level;
    - any level with `owner_unit_id`: that fixed unit (whatever the place).
    `co_handler_kinds` name departments of the same district that assist (协办). When several
    rules share a category the highest `priority` whose place requirement is met wins, so a
    lower-priority rule is a configured fallback (e.g. community, else street).
    """

    category_code: str
    level: Level
    owner_kind: str | None = None
    owner_unit_id: int | None = None
    co_handler_kinds: tuple[str, ...] = ()
    priority: int = 0

    def __post_init__(self) -> None:
        where = f"responsibility rule {self.category_code!r}"
        if self.owner_kind is not None and self.owner_unit_id is not None:
            raise ValueError(f"{where}: give owner_kind or owner_unit_id, not both")
        if self.owner_kind is not None and self.level is not Level.DEPARTMENT:
            raise ValueError(f"{where}: owner_kind names a department; the level must be department")
        if self.level is Level.DEPARTMENT and self.owner_kind is None and self.owner_unit_id is None:
            raise ValueError(f"{where}: a department rule needs owner_kind or owner_unit_id")
        if self.level is Level.CITY and self.owner_unit_id is None:
            raise ValueError(f"{where}: a city-level rule needs owner_unit_id")

    def owner_text(self) -> str:
        if self.owner_unit_id is not None:
            return "指定单位"
        if self.owner_kind is not None:
            return f"所在区的「{self.owner_kind}」"
        return f"所在{self.level.label}"


@dataclass(frozen=True)
class Place:
    """Where the problem is, as resolved from the address and text. The ids given are what the
    resolver is sure of (upper levels may be left out: they follow from the tree); `ambiguous`
    says several candidates matched below them; `matched` is the text that matched."""

    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    confidence: float = 1.0
    ambiguous: bool = False
    matched: str = ""


@dataclass(frozen=True)
class RoutingDecision:
    """The outcome. When `auto`, the ticket goes to `target_unit_id` (the lead, 主办) with
    `co_handler_ids`; otherwise it waits at `queue_unit_id`. Either way `hops` are the units
    from below the current holder down to that destination, one recorded hop each."""

    auto: bool
    target_unit_id: int | None
    co_handler_ids: tuple[int, ...]
    queue_unit_id: int | None
    hops: tuple[int, ...]
    suggested_unit_id: int | None
    rule: ResponsibilityRule | None
    reasons: tuple[str, ...]

    @property
    def destination_unit_id(self) -> int:
        destination = self.target_unit_id if self.auto else self.queue_unit_id
        assert destination is not None
        return destination


def route(
    category_code: str,
    confidence: float,
    place: Place,
    tree: OrgTree,
    rules: Iterable[ResponsibilityRule],
    *,
    threshold: float,
    holder_unit_id: int,
    place_threshold: float | None = None,
) -> RoutingDecision:
    """Decide where a ticket held by `holder_unit_id` goes. `confidence` is the classifier's
    for `category_code` (1.0 when a person chose the category); `place_threshold` defaults to
    `threshold`."""
    holder = _unit(tree, holder_unit_id, "当前持有单位")
    reasons = [f"分类「{category_code}」置信度 {confidence:.2f}，自动派单阈值 {threshold:.2f}"]
    category_sure = confidence >= threshold
    if not category_sure:
        reasons[0] += "，低于阈值，需人工确认分类"

    resolved = _resolve_place(place, tree, reasons, threshold if place_threshold is None else place_threshold)

    rule, target, co_handlers = _choose_rule(category_code, rules, resolved, tree, reasons)

    within_holder = target is not None and tree.is_within(target.id, holder.id)
    if target is not None and not within_holder:
        reasons.append(f"{target.describe()} 不在当前持有单位{holder.describe()}的辖区内")
    auto = category_sure and target is not None and within_holder and not place.ambiguous

    if auto:
        assert target is not None
        hops = tree.path(holder.id, target.id)
        route_names = " → ".join(tree.unit(hop).name for hop in (holder.id, *hops))
        reasons.append(f"自动派单至「{target.name}」：{route_names}")
        return RoutingDecision(
            auto=True,
            target_unit_id=target.id,
            co_handler_ids=tuple(u.id for u in co_handlers),
            queue_unit_id=None,
            hops=hops,
            suggested_unit_id=target.id,
            rule=rule,
            reasons=tuple(reasons),
        )

    queue = _queue_unit(tree, holder, resolved, target, rule, category_sure)
    reasons.append(f"转「{queue.name}」待人工派单")
    return RoutingDecision(
        auto=False,
        target_unit_id=None,
        co_handler_ids=(),
        queue_unit_id=queue.id,
        hops=tree.path(holder.id, queue.id),
        suggested_unit_id=None if target is None else target.id,
        rule=rule,
        reasons=tuple(reasons),
    )


def _choose_rule(
    category_code: str,
    rules: Iterable[ResponsibilityRule],
    resolved: dict[Level, Unit],
    tree: OrgTree,
    reasons: list[str],
) -> tuple[ResponsibilityRule | None, Unit | None, tuple[Unit, ...]]:
    """The first rule by priority that the place can serve, with its lead and co-handlers; or
    the top rule and no lead when the place is not known deeply enough for any of them."""
    candidates = _rules_for(category_code, rules)
    if not candidates:
        reasons.append(f"未找到分类「{category_code}」的责任规则")
        return None, None, ()
    for rule in candidates:
        found = _owner(rule, resolved, tree)
        if found is not None:
            lead, co_handlers = found
            text = f"责任规则：分类「{category_code}」由{rule.owner_text()}主办，即「{lead.name}」"
            text += f"（优先级 {rule.priority}）"
            if co_handlers:
                text += "，协办：" + "、".join(f"「{u.name}」" for u in co_handlers)
            reasons.append(text)
            return rule, lead, co_handlers
    deepest = _deepest(resolved)
    known = f"仅定位到{deepest.level.label}" if deepest else "未识别"
    reasons.append(f"规则需要定位到{_needed_level(candidates[0]).label}，地点{known}")
    return candidates[0], None, ()


def _deepest(resolved: dict[Level, Unit]) -> Unit | None:
    return max(resolved.values(), key=lambda u: u.level.rank, default=None)


def _queue_unit(
    tree: OrgTree,
    holder: Unit,
    resolved: dict[Level, Unit],
    target: Unit | None,
    rule: ResponsibilityRule | None,
    category_sure: bool,
) -> Unit:
    """The deepest unit whose dispatcher can finish the job, never outside the holder's subtree."""
    deepest = _deepest(resolved)
    if not category_sure or rule is None:
        # Without a trusted category or rule the owner could be any department or street of
        # the district, so its dispatcher decides.
        queue = resolved.get(Level.DISTRICT, tree.root)
    elif target is None:
        queue = deepest or tree.root
    else:
        queue = tree.common_ancestor(target.id, deepest.id) if deepest else tree.root
    return queue if tree.is_within(queue.id, holder.id) else holder


def _resolve_place(place: Place, tree: OrgTree, reasons: list[str], threshold: float) -> dict[Level, Unit]:
    given = []
    for level, unit_id in zip(
        _PLACE_LEVELS, (place.district_id, place.street_id, place.community_id, place.grid_id), strict=True
    ):
        if unit_id is None:
            continue
        unit = _unit(tree, unit_id, "地点")
        if unit.level is not level:
            raise RoutingError(f"地点中的 {unit.describe()} 不是{level.label}")
        given.append(unit)
    matched = f"（「{place.matched}」）" if place.matched else ""
    if not given:
        text = f"地点有多个候选{matched}，需人工确认" if place.ambiguous else f"未识别到地点{matched}"
        reasons.append(text)
        return {}
    deepest = given[-1]
    above = (deepest, *tree.ancestors(deepest.id))
    chain: dict[Level, Unit] = {u.level: u for u in above if u.level is not Level.CITY}
    for unit in given:
        if chain.get(unit.level) != unit:
            raise RoutingError(f"地点不一致：{unit.describe()} 与 {deepest.describe()} 不在同一条链上")
    if place.confidence < threshold:
        reasons.append(f"地点置信度 {place.confidence:.2f} 低于阈值 {threshold:.2f}，不采用")
        return {}
    names = " / ".join(chain[level].name for level in _PLACE_LEVELS if level in chain)
    text = f"「{place.matched}」，" if place.matched else ""
    reasons.append(f"地点匹配：{names}（{text}置信度 {place.confidence:.2f}）")
    if place.ambiguous:
        reasons.append(f"地点在「{deepest.name}」以下有多个候选{matched}，需人工确认")
    return chain


def _rules_for(category_code: str, rules: Iterable[ResponsibilityRule]) -> list[ResponsibilityRule]:
    found = sorted((r for r in rules if r.category_code == category_code), key=lambda r: -r.priority)
    for first, second in pairwise(found):
        if first.priority == second.priority:
            raise RoutingError(f"分类「{category_code}」有多条优先级为 {first.priority} 的责任规则，无法判断")
    return found


def _needed_level(rule: ResponsibilityRule) -> Level:
    """The place level a rule needs resolved: a department is found through its district."""
    if rule.owner_unit_id is not None:
        return Level.DISTRICT if rule.co_handler_kinds else Level.CITY
    return Level.DISTRICT if rule.level is Level.DEPARTMENT else rule.level


def _owner(
    rule: ResponsibilityRule, resolved: dict[Level, Unit], tree: OrgTree
) -> tuple[Unit, tuple[Unit, ...]] | None:
    """(lead, co-handlers) for `rule` at the resolved place, or None when the place is not
    known deeply enough for it."""
    if rule.owner_unit_id is not None:
        lead = _unit(tree, rule.owner_unit_id, f"责任规则「{rule.category_code}」指向的单位")
        if lead.level is not rule.level:
            raise RoutingError(f"责任规则「{rule.category_code}」指向{lead.describe()}，级别应为{rule.level.label}")
    elif rule.owner_kind is not None:
        district = resolved.get(Level.DISTRICT)
        if district is None:
            return None
        lead = _department(tree, district, rule.owner_kind, rule)
    else:
        found = resolved.get(rule.level)
        if found is None:
            return None
        lead = found
    if not rule.co_handler_kinds:
        return lead, ()
    district = tree.district_of(lead.id) or resolved.get(Level.DISTRICT)
    if district is None:
        return None
    co = (_department(tree, district, kind, rule) for kind in rule.co_handler_kinds)
    return lead, tuple(u for u in co if u.id != lead.id)


def _department(tree: OrgTree, district: Unit, kind: str, rule: ResponsibilityRule) -> Unit:
    try:
        unit = tree.find_child_of_kind(district.id, kind)
    except OrgError as error:
        raise RoutingError(str(error)) from None
    if unit is None or unit.level is not Level.DEPARTMENT:
        raise RoutingError(f"{district.describe()} 下没有区直部门「{kind}」（责任规则「{rule.category_code}」）")
    return unit


def _unit(tree: OrgTree, unit_id: int, what: str) -> Unit:
    try:
        return tree.unit(unit_id)
    except OrgError:
        raise RoutingError(f"{what} id={unit_id} 不在组织树中") from None


def check_rules(rules: Sequence[ResponsibilityRule], tree: OrgTree) -> list[str]:
    """Every inconsistency between the responsibility table and the tree, for the admin import
    to show at once (routing would raise on the first one it meets)."""
    problems = []
    counts = Counter((r.category_code, r.priority) for r in rules)
    problems += [f"分类「{code}」有多条优先级为 {p} 的责任规则" for (code, p), n in counts.items() if n > 1]
    districts = [u for u in tree if u.level is Level.DISTRICT]
    for rule in rules:
        if rule.owner_unit_id is not None:
            try:
                _owner(rule, {}, tree)
            except RoutingError as error:
                problems.append(str(error))
            continue
        kinds = [rule.owner_kind] if rule.owner_kind else []
        for district in districts:
            for kind in (*kinds, *rule.co_handler_kinds):
                try:
                    _department(tree, district, kind, rule)
                except RoutingError as error:
                    problems.append(str(error))
    return problems
