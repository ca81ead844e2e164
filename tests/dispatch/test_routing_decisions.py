import pytest

from dispatch.org import Level
from dispatch.routing import Place, ResponsibilityRule, RoutingError, check_rules, route
from tests.support.orgdata import (
    CITY,
    DONGHU,
    DONGHU_CHENGGUAN,
    DONGHU_SHICHANG,
    DONGHU_ZHUJIAN,
    HUBIN,
    XILING,
    XILING_CHENGGUAN,
    XILING_STREET,
    XINCUN_XILING,
    XINGFU,
    XINGFU_GRID_1,
)

RULES = (
    ResponsibilityRule("streetlight", Level.COMMUNITY),
    ResponsibilityRule("noise", Level.STREET),
    ResponsibilityRule("illegal_building", Level.DEPARTMENT, owner_kind="城管局", co_handler_kinds=("住建局",)),
    ResponsibilityRule("street_vendor", Level.DEPARTMENT, owner_kind="城管局"),
    ResponsibilityRule("food_safety", Level.DEPARTMENT, owner_unit_id=DONGHU_SHICHANG),
    ResponsibilityRule("stray_dog", Level.GRID),
    # a community if the place is known that far, else the street
    ResponsibilityRule("pipe_burst", Level.COMMUNITY, priority=10),
    ResponsibilityRule("pipe_burst", Level.STREET, priority=5),
)

SURE = 0.95
THRESHOLD = 0.8


def decide(category, place, *, confidence=SURE, holder=CITY, rules=RULES, tree):
    return route(category, confidence, place, tree, rules, threshold=THRESHOLD, holder_unit_id=holder)


def test_auto_dispatch_down_to_a_community(tree):
    place = Place(community_id=XINGFU, confidence=0.9, matched="幸福小区")
    decision = decide("streetlight", place, tree=tree)
    assert decision.auto
    assert decision.target_unit_id == XINGFU
    assert decision.hops == (DONGHU, HUBIN, XINGFU)
    assert decision.queue_unit_id is None
    assert decision.destination_unit_id == XINGFU
    assert decision.rule == RULES[0]
    text = "\n".join(decision.reasons)
    assert "0.95" in text and "0.80" in text
    assert "幸福小区" in text and "东湖区 / 湖滨街道 / 幸福社区" in text
    assert "所在社区" in text
    assert "临江市 → 东湖区 → 湖滨街道 → 幸福社区" in text


def test_auto_dispatch_to_a_grid(tree):
    decision = decide("stray_dog", Place(grid_id=XINGFU_GRID_1), tree=tree)
    assert decision.auto and decision.hops == (DONGHU, HUBIN, XINGFU, XINGFU_GRID_1)


def test_department_rule_with_co_handlers(tree):
    decision = decide("illegal_building", Place(street_id=HUBIN), tree=tree)
    assert decision.auto
    assert decision.target_unit_id == DONGHU_CHENGGUAN
    assert decision.co_handler_ids == (DONGHU_ZHUJIAN,)
    assert decision.hops == (DONGHU, DONGHU_CHENGGUAN)
    assert "东湖区住房和城乡建设局" in "\n".join(decision.reasons)


def test_the_same_rule_serves_every_district(tree):
    decision = decide("street_vendor", Place(community_id=XINCUN_XILING), tree=tree)
    assert decision.target_unit_id == XILING_CHENGGUAN
    assert decision.hops == (XILING, XILING_CHENGGUAN)


def test_fixed_owner_needs_no_place(tree):
    decision = decide("food_safety", Place(), tree=tree)
    assert decision.auto and decision.hops == (DONGHU, DONGHU_SHICHANG)


def test_low_confidence_waits_for_the_district_dispatcher(tree):
    decision = decide("streetlight", Place(community_id=XINGFU), confidence=0.5, tree=tree)
    assert not decision.auto
    assert decision.target_unit_id is None
    assert decision.queue_unit_id == DONGHU
    assert decision.hops == (DONGHU,)
    assert decision.suggested_unit_id == XINGFU
    assert "低于阈值" in "\n".join(decision.reasons)


def test_low_confidence_and_no_place_waits_at_the_city(tree):
    decision = decide("streetlight", Place(), confidence=0.5, tree=tree)
    assert (decision.auto, decision.queue_unit_id, decision.hops) == (False, CITY, ())
    assert "未识别到地点" in "\n".join(decision.reasons)


def test_no_rule_waits_in_the_district_queue(tree):
    decision = decide("ufo_sighting", Place(street_id=HUBIN), tree=tree)
    assert not decision.auto
    assert decision.queue_unit_id == DONGHU
    assert decision.rule is None and decision.suggested_unit_id is None
    assert "未找到分类「ufo_sighting」的责任规则" in decision.reasons


def test_place_not_deep_enough_waits_at_the_deepest_known_level(tree):
    decision = decide("streetlight", Place(street_id=HUBIN), tree=tree)
    assert not decision.auto
    assert decision.queue_unit_id == HUBIN
    assert decision.hops == (DONGHU, HUBIN)
    assert "规则需要定位到社区，地点仅定位到街道" in decision.reasons

    decision = decide("noise", Place(district_id=DONGHU), tree=tree)
    assert (decision.auto, decision.queue_unit_id) == (False, DONGHU)

    decision = decide("street_vendor", Place(), tree=tree)
    assert (decision.auto, decision.queue_unit_id) == (False, CITY)


def test_lower_priority_rule_is_the_configured_fallback(tree):
    decision = decide("pipe_burst", Place(community_id=XINGFU), tree=tree)
    assert decision.target_unit_id == XINGFU
    decision = decide("pipe_burst", Place(street_id=HUBIN), tree=tree)
    assert decision.auto and decision.target_unit_id == HUBIN
    assert decision.rule == RULES[-1]


def test_ambiguous_place_waits_with_a_reason(tree):
    place = Place(street_id=HUBIN, ambiguous=True, matched="新村")
    decision = decide("streetlight", place, tree=tree)
    assert not decision.auto
    assert decision.queue_unit_id == HUBIN
    assert any("多个候选" in r and "新村" in r for r in decision.reasons)

    # even when the rule could be served, an ambiguous place is confirmed by a person
    decision = decide("street_vendor", place, tree=tree)
    assert (decision.auto, decision.queue_unit_id) == (False, DONGHU)
    assert decision.suggested_unit_id == DONGHU_CHENGGUAN


def test_place_ambiguous_between_districts(tree):
    decision = decide("street_vendor", Place(ambiguous=True, matched="新村社区"), tree=tree)
    assert (decision.auto, decision.queue_unit_id) == (False, CITY)
    assert "地点有多个候选（「新村社区」），需人工确认" in decision.reasons


def test_unsure_place_is_not_used(tree):
    decision = decide("streetlight", Place(community_id=XINGFU, confidence=0.3), tree=tree)
    assert not decision.auto and decision.queue_unit_id == CITY
    assert any("地点置信度 0.30" in r for r in decision.reasons)


def test_rerouting_from_a_lower_holder(tree):
    decision = decide("streetlight", Place(community_id=XINGFU), holder=HUBIN, tree=tree)
    assert decision.auto and decision.hops == (XINGFU,)


def test_target_outside_the_holder_waits_at_the_holder(tree):
    decision = decide("noise", Place(street_id=XILING_STREET), holder=DONGHU, tree=tree)
    assert not decision.auto
    assert (decision.queue_unit_id, decision.hops) == (DONGHU, ())
    assert any("不在" in r for r in decision.reasons)


R, DEPT = ResponsibilityRule, Level.DEPARTMENT
WEST = Place(street_id=XILING_STREET)


@pytest.mark.parametrize(
    ("rules", "category", "place", "message"),
    [
        ((R("x", DEPT, owner_unit_id=999),), "x", Place(), "999"),
        ((R("x", Level.STREET, owner_unit_id=DONGHU_SHICHANG),), "x", Place(), "级别"),
        ((R("x", DEPT, owner_kind="教育局"),), "x", Place(district_id=DONGHU), "教育局"),
        ((R("x", DEPT, owner_kind="城管局", co_handler_kinds=("住建局",)),), "x", WEST, "住建局"),
        ((R("x", Level.STREET), R("x", Level.GRID)), "x", Place(), "优先级"),
        (RULES, "noise", Place(district_id=XILING, street_id=HUBIN), "不一致"),
        (RULES, "noise", Place(street_id=DONGHU), "不是街道"),
        (RULES, "noise", Place(street_id=424242), "424242"),
    ],
)
def test_inconsistent_data_fails_loudly(tree, rules, category, place, message):
    with pytest.raises(RoutingError, match=message):
        decide(category, place, rules=rules, tree=tree)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": Level.DEPARTMENT}, "owner"),
        ({"level": Level.STREET, "owner_kind": "城管局"}, "owner_kind"),
        ({"level": Level.DEPARTMENT, "owner_kind": "城管局", "owner_unit_id": 101}, "both"),
        ({"level": Level.CITY}, "city"),
    ],
)
def test_rule_shape_is_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResponsibilityRule("x", **kwargs)


def test_check_rules_lists_every_problem(tree):
    problems = check_rules(
        (
            *RULES,
            ResponsibilityRule("y", Level.DEPARTMENT, owner_unit_id=999),
            ResponsibilityRule("noise", Level.COMMUNITY),
        ),
        tree,
    )
    assert any("西岭区" in p and "住建局" in p for p in problems)
    assert any("999" in p for p in problems)
    assert any("noise" in p and "优先级" in p for p in problems)
    assert check_rules(RULES[:2], tree) == []
