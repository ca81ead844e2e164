import pytest

from dispatch.org import Level, OrgError, OrgTree, Unit
from tests.support.orgdata import (
    CITY,
    DONGHU,
    DONGHU_CHENGGUAN,
    DONGHU_SHICHANG,
    DONGHU_ZHUJIAN,
    DONGSHAN,
    HUBIN,
    UNITS,
    XILING,
    XILING_CHENGGUAN,
    XINCUN_DONGHU,
    XINCUN_XILING,
    XINGFU,
    XINGFU_GRID_1,
)


def test_levels_have_labels_and_ranks():
    assert [(lv.label, lv.rank) for lv in Level] == [
        ("市", 1),
        ("区", 2),
        ("区直部门", 3),
        ("街道", 3),
        ("社区", 4),
        ("网格", 5),
    ]


def test_navigation(tree):
    assert tree.root.id == CITY
    assert tree.parent(XINGFU).id == HUBIN
    assert tree.parent(CITY) is None
    assert [u.id for u in tree.children(HUBIN)] == [XINGFU, 1102]
    assert [u.id for u in tree.ancestors(XINGFU_GRID_1)] == [XINGFU, HUBIN, DONGHU, CITY]
    assert tree.ancestors(CITY) == ()
    assert tree.subtree_ids(HUBIN) == {HUBIN, XINGFU, XINGFU_GRID_1, 1102}
    assert tree.is_within(XINGFU_GRID_1, DONGHU)
    assert tree.is_within(DONGHU, DONGHU)
    assert not tree.is_within(XINGFU, XILING)
    assert not tree.is_within(DONGHU, XINGFU)


def test_a_level_reviews_the_units_below_it_down_to_the_next_level_with_reviewers(tree):
    # streets have dispatchers, communities and departments handlers only: a street reviews its grids too
    streets = {HUBIN, DONGSHAN}
    assert tree.reviewed_by(HUBIN, streets) == (XINGFU, XINCUN_DONGHU, XINGFU_GRID_1)
    departments = (DONGHU_CHENGGUAN, DONGHU_SHICHANG, DONGHU_ZHUJIAN)
    assert tree.reviewed_by(DONGHU, streets | {DONGHU}) == (*departments, HUBIN, DONGSHAN)
    assert tree.reviewed_by(HUBIN, streets | {XINGFU}) == (XINGFU, XINCUN_DONGHU)  # the community reviews its grid
    assert tree.reviewed_by(XINGFU_GRID_1, streets) == ()


def test_path_lists_every_hop_downwards(tree):
    assert tree.path(CITY, XINGFU) == (DONGHU, HUBIN, XINGFU)
    assert tree.path(DONGHU, DONGHU_CHENGGUAN) == (DONGHU_CHENGGUAN,)
    assert tree.path(HUBIN, HUBIN) == ()
    with pytest.raises(OrgError, match="不在"):
        tree.path(XILING, XINGFU)


def test_common_ancestor(tree):
    assert tree.common_ancestor(XINGFU_GRID_1, DONGHU_CHENGGUAN).id == DONGHU
    assert tree.common_ancestor(XINGFU, XILING_CHENGGUAN).id == CITY
    assert tree.common_ancestor(XINGFU_GRID_1, HUBIN).id == HUBIN
    assert tree.common_ancestor(XINGFU, XINGFU).id == XINGFU


def test_district_and_ancestor_at_level(tree):
    assert tree.district_of(XINGFU_GRID_1).id == DONGHU
    assert tree.district_of(DONGHU).id == DONGHU
    assert tree.district_of(CITY) is None
    assert tree.ancestor_at(XINGFU_GRID_1, Level.STREET).id == HUBIN
    assert tree.ancestor_at(DONGHU_CHENGGUAN, Level.STREET) is None


def test_find_child_of_kind(tree):
    assert tree.find_child_of_kind(DONGHU, "城管局").id == DONGHU_CHENGGUAN
    assert tree.find_child_of_kind(XILING, "城管局").id == XILING_CHENGGUAN
    assert tree.find_child_of_kind(XILING, "住建局") is None


def test_find_child_of_kind_refuses_two_candidates():
    units = (*UNITS, Unit(999, "东湖区城管局二", Level.DEPARTMENT, DONGHU, kind="城管局"))
    with pytest.raises(OrgError, match="城管局"):
        OrgTree(units).find_child_of_kind(DONGHU, "城管局")


def test_lookup_by_name_or_alias(tree):
    assert [u.id for u in tree.named("湖滨")] == [HUBIN]
    assert [u.id for u in tree.named("湖滨街道")] == [HUBIN]
    assert [u.id for u in tree.named("新村社区")] == [XINCUN_DONGHU, XINCUN_XILING]
    assert tree.named("不存在") == ()


def test_unknown_unit(tree):
    with pytest.raises(OrgError, match="12345"):
        tree.unit(12345)
    assert 12345 not in tree
    assert DONGSHAN in tree


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ((Unit(1, "甲市", Level.CITY, None), Unit(2, "乙市", Level.CITY, None)), "只能有一个"),
        ((), "没有市级单位"),
        ((Unit(2, "东湖区", Level.DISTRICT, 1),), "东湖区.*不存在"),
        ((Unit(1, "甲市", Level.CITY, None), Unit(1, "重复", Level.DISTRICT, 1)), "重复"),
        ((Unit(1, "甲市", Level.CITY, None), Unit(2, "孤儿区", Level.DISTRICT, 7)), "孤儿区"),
        ((Unit(1, "甲市", Level.CITY, None), Unit(2, "无根区", Level.DISTRICT, None)), "无根区"),
        ((Unit(1, "甲市", Level.CITY, None), Unit(2, "错挂街道", Level.STREET, 1)), "错挂街道"),
        (
            (
                Unit(1, "甲市", Level.CITY, None),
                Unit(2, "甲区", Level.DISTRICT, 1),
                Unit(3, "城管局", Level.DEPARTMENT, 2, kind="城管局"),
                Unit(4, "挂在部门下的社区", Level.COMMUNITY, 3),
            ),
            "挂在部门下的社区",
        ),
    ],
)
def test_validation_names_the_unit(units, message):
    with pytest.raises(OrgError, match=message):
        OrgTree(units)
