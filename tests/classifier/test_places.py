"""Place resolution against the fictional city of conftest.CITY (临江区 / 北岭区)."""

from classifier.places import PlaceIndex, PlaceRecord


def test_full_address_with_estate_is_sure_and_consistent(city: PlaceIndex) -> None:
    match = city.resolve("临江区青山街道柳岸花园3栋", "柳岸花园3栋楼下的烧烤店太吵")
    assert match.chain == {"district": 1, "street": 11, "community": 111}
    assert match.unit_id == 111 and match.level == "community"
    assert match.path == "临江区青山街道柳岸社区"
    assert match.matched == ("临江区", "青山街道", "柳岸花园")
    assert match.landmarks == ("柳岸花园",)
    assert not match.ambiguous and match.confidence >= 0.95


def test_abbreviations_without_suffix_and_aliases(city: PlaceIndex) -> None:
    street = city.resolve("", "青山这边停水了")
    assert street.chain == {"district": 1, "street": 11}
    community = city.resolve("", "我是柳岸的居民")
    assert community.unit_id == 111
    assert community.confidence < city.resolve("", "我是柳岸社区的居民").confidence
    alias = city.resolve("翠竹居委会", "")
    assert alias.unit_id == 113
    old_name = city.resolve("江城红旗社区", "")
    assert old_name.chain == {"district": 1, "street": 12, "community": 121}


def test_missing_district_and_community_name_only(city: PlaceIndex) -> None:
    match = city.resolve("梅岭社区", "")
    assert match.chain == {"district": 2, "street": 21, "community": 212}
    assert not match.ambiguous
    assert city.resolve("", "松涛镇松岗村的村民反映").chain == {"district": 2, "street": 22, "community": 221}


def test_estate_or_road_name_only(city: PlaceIndex) -> None:
    estate = city.resolve("", "梅岭雅苑小区门口有人占道经营")
    assert estate.unit_id == 212 and estate.landmarks == ("梅岭雅苑",)
    road = city.resolve("红旗路", "")
    assert road.unit_id == 121
    # a road filed under a street resolves to the street, not deeper
    assert city.resolve("滨河大道", "").chain == {"district": 1, "street": 11}


def test_longest_name_wins(city: PlaceIndex) -> None:
    # 青山湖小区 (an estate of 翠竹社区), not 青山 (the short form of 青山街道)
    match = city.resolve("", "青山湖小区停电了")
    assert match.matched == ("青山湖小区",)
    assert match.unit_id == 113


def test_grid_is_the_most_specific_unit(city: PlaceIndex) -> None:
    assert city.resolve("柳岸第三网格", "").chain == {"district": 1, "street": 11, "community": 111, "grid": 1111}


def test_a_name_of_two_places_is_reported_never_guessed(city: PlaceIndex) -> None:
    match = city.resolve("新村社区", "")
    assert match.ambiguous
    assert match.chain == {}
    assert {c.unit_id for c in match.candidates} == {112, 211}
    assert {c["path"] for c in match.candidates_json()} == {"临江区青山街道新村社区", "北岭区岭南街道新村社区"}
    assert match.confidence <= 0.3
    assert any("对应多个地点" in reason for reason in match.reasons)


def test_a_district_or_street_settles_an_ambiguous_name(city: PlaceIndex) -> None:
    by_district = city.resolve("北岭区新村社区", "")
    assert not by_district.ambiguous and by_district.unit_id == 211
    by_street_short = city.resolve("", "青山新村社区的居民")
    assert not by_street_short.ambiguous and by_street_short.unit_id == 112
    assert any("有多处同名" in reason for reason in by_district.reasons)


def test_ambiguous_below_what_is_sure_keeps_the_sure_part(city: PlaceIndex) -> None:
    # 岭南街道 is sure; 新村社区 under it is then settled too
    assert city.resolve("岭南街道新村社区", "").unit_id == 211
    # 临江区 is sure, yet both 新村 candidates... only one is in 临江区
    assert city.resolve("临江区", "新村社区停水").unit_id == 112


def test_conflicting_names_are_reported_and_lower_the_confidence(city: PlaceIndex) -> None:
    match = city.resolve("北岭区青山街道", "")
    assert match.unit_id == 11
    assert match.confidence <= 0.4
    assert any("地点有矛盾" in reason for reason in match.reasons)


def test_several_places_are_listed(city: PlaceIndex) -> None:
    match = city.resolve("柳岸花园", "我在临江区东风街道上班，北岭区梅岭社区那边也一样")
    assert match.unit_id == 111  # the address field outranks the narrative
    assert set(match.named_places) == {"临江区青山街道柳岸社区", "临江区东风街道", "北岭区岭南街道梅岭社区"}
    assert any(reason.startswith("另提到") for reason in match.reasons)
    assert match.confidence < 0.9


def test_nothing_known(city: PlaceIndex) -> None:
    match = city.resolve("", "我想问一下社保怎么交")
    assert match.chain == {} and match.confidence == 0.0 and not match.ambiguous
    assert match.reasons == ("未识别到地点",)


def test_names_feed_the_segmenter(city: PlaceIndex) -> None:
    names = city.names()
    assert {"青山街道", "青山", "柳岸社区", "柳岸", "柳岸花园", "青山湖", "江城"} <= set(names)


def test_full_width_and_cycles_do_not_break_it() -> None:
    index = PlaceIndex([PlaceRecord(1, "甲区", "district", 2), PlaceRecord(2, "乙街道", "street", 1)])
    assert index.resolve("甲区", "").unit_id == 1
    assert PlaceIndex([PlaceRecord(1, "ＡＢ社区", "community", None)]).resolve("AB社区", "").unit_id == 1


def test_ambiguous_name_outside_what_is_sure_keeps_the_sure_part(city: PlaceIndex) -> None:
    # neither 新村社区 is under 松涛镇
    match = city.resolve("松涛镇新村社区", "")
    assert match.ambiguous
    assert match.chain == {"district": 2, "street": 22}
    assert {c.unit_id for c in match.candidates} == {112, 211}
    # a sure place at the same level: it is used, the ambiguous name is reported, not guessed
    both = city.resolve("", "新村社区和柳岸社区")
    assert not both.ambiguous and both.unit_id == 111
    assert "「新村社区」有多处同名，未用于定位" in both.reasons


def test_the_surest_naming_counts(city: PlaceIndex) -> None:
    assert city.resolve("柳岸社区", "柳岸这边").confidence == city.resolve("柳岸社区", "").confidence
