from classifier.complexity import assess_complexity
from classifier.model import Prediction
from classifier.places import PlaceIndex


def test_a_single_plain_call_is_ordinary() -> None:
    result = assess_complexity("楼下烧烤店每天营业到凌晨两点，噪音很大，希望尽快处理。", "噪音扰民")
    assert not result.is_complex
    assert result.score == 0.0
    assert result.reasons == ["单一诉求，按普通工单处理"]


def test_configured_categories_are_complex() -> None:
    result = assess_complexity("开发商延期交房。", "房地产市场")
    assert result.is_complex and "「房地产市场」类诉求按规定作为复杂工单甄别" in result.reasons
    assert not assess_complexity("开发商延期交房。", "房地产市场", complex_categories=()).is_complex
    assert assess_complexity("路灯坏了。", "市政设施", complex_categories={"市政设施"}).is_complex


def test_several_demands_listed() -> None:
    text = "反映两个问题：一是小区电梯经常坏，二是物业费上涨没有公示。"
    result = assess_complexity(text, "物业管理")
    assert result.is_complex
    assert any(reason.startswith("包含多项诉求") for reason in result.reasons)


def test_another_matter_and_several_topics_add_up() -> None:
    text = "我们小区又停水了，另外楼下饭店的油烟太大，晚上广场舞噪音也很吵。"
    result = assess_complexity(text, "水电气暖")
    assert result.is_complex
    assert any("另外" in reason for reason in result.reasons)
    assert any(reason.startswith("涉及多类问题") for reason in result.reasons)


def test_several_places_from_the_place_match(city: PlaceIndex) -> None:
    match = city.resolve("柳岸花园", "北岭区梅岭社区那边也一样停水")
    result = assess_complexity("柳岸花园停水，北岭区梅岭社区那边也一样停水", "水电气暖", match)
    assert result.is_complex
    assert "涉及多个地点：临江区青山街道柳岸社区、北岭区岭南街道梅岭社区" in result.reasons
    single = city.resolve("柳岸花园", "")
    assert not assess_complexity("柳岸花园停水了", "水电气暖", single).is_complex


def test_several_units_named() -> None:
    text = "找了物业，又找了居委会和城管，都说不归他们管。"
    result = assess_complexity(text, "私搭乱建")
    assert result.is_complex
    assert any(reason.startswith("涉及多个单位") for reason in result.reasons)


def test_long_text_question_marks_group_and_uncertainty_are_reasons() -> None:
    text = "我们全体业主联名反映？" + "情况说明。" * 70 + "怎么办？为什么？"
    unsure = Prediction("物业管理", 0.41, [("物业管理", 0.41), ("房地产市场", 0.38)])
    result = assess_complexity(text, "物业管理", prediction=unsure)
    reasons = " | ".join(result.reasons)
    assert "诉求内容较长" in reasons or "诉求内容很长" in reasons
    assert "3 个问号" in reasons
    assert "群体性诉求" in reasons
    assert "分类不确定（最高置信度 0.41）" in reasons
    assert result.is_complex and 0.0 < result.score <= 1.0
