"""Is a ticket complex (复杂工单: screened and accepted within a day) or ordinary (replied to within
an hour)? Rules a person can check: each adds to a score and gives a reason in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_COMPLEX_CATEGORIES = frozenset({"房地产市场", "劳资纠纷"})
COMPLEX_THRESHOLD = 0.5
LONG_TEXT_CHARS = 300
VERY_LONG_TEXT_CHARS = 600
UNCERTAIN_BELOW = 0.5

# 一是…二是…, 第一…第二…, (1)…(2)…, 1、…2、…: the caller lists several demands.
_ENUMERATION = re.compile(
    r"[一二三四五六]是|第[一二三四五六][，,、点条]?|其[一二三]|[（(][1-9一二三四五][)）]|(?<![\d.])[1-9][、.．](?!\d)"
)
# words that add another matter to the first one
_ANOTHER_MATTER = re.compile(r"另外|此外|还有一个|还有就是|再一个|同时还|另一个问题|顺便")
_QUESTION = re.compile(r"[?？]")
_GROUP = re.compile(r"集体|群体|联名|全体业主|全体村民|多名|数十名|几十户|上百户|上百名|数百|几百户|业主们|工友们")
# Bodies a caller may name; several of them means coordination between units.
_AGENCIES = {
    "城管": r"城管|城市管理|综合执法",
    "住建": r"住建|住房和城乡建设|房管",
    "生态环境": r"环保局|生态环境",
    "人社": r"人社|人力资源|劳动监察|社保局",
    "教育": r"教育局",
    "市场监管": r"市场监管|工商局|12315",
    "卫健": r"卫健|卫生健康|卫生局",
    "交通": r"交通局|交通运输局|交警|运管",
    "民政": r"民政",
    "水务": r"水务|自来水公司|供水公司",
    "供电": r"供电公司|电力公司|供电局",
    "燃气": r"燃气公司",
    "规划": r"规划局|自然资源",
    "公安": r"派出所|公安",
    "街道": r"街道办|街道办事处",
    "社区": r"居委会|社区工作人员|村委会",
    "物业": r"物业公司|物业",
    "开发商": r"开发商",
}
# Problems by topic: several topics in one call is usually several tickets' worth of work.
_TOPICS = {
    "噪音": r"噪音|噪声|吵闹|扰民",
    "停水停电": r"停水|停电|没水|断电|水压",
    "燃气供暖": r"燃气|暖气|供暖",
    "物业": r"物业费|物业管理|物业服务|电梯",
    "违建": r"违建|违章搭建|私搭乱建|乱搭",
    "环境卫生": r"垃圾|油烟|污水|臭味|扬尘",
    "道路设施": r"路灯|井盖|路面|坑洼|积水",
    "停车交通": r"停车|堵车|拥堵|红绿灯|违停",
    "公交出行": r"公交|地铁|出租车|网约车",
    "工资": r"工资|欠薪|工钱|劳动合同",
    "社保": r"社保|医保|养老保险|公积金",
    "就学": r"入学|学位|转学|学校",
    "消费": r"退款|退费|预付卡|价格|乱收费",
    "经营秩序": r"占道|摆摊|无证经营|流动摊贩",
    "医疗": r"医院|医生|诊所|看病",
    "救助": r"低保|救助|补贴|养老服务",
    "房产": r"交房|房产证|开发商|产权",
}
_AGENCY_PATTERNS = {name: re.compile(pattern) for name, pattern in _AGENCIES.items()}
_TOPIC_PATTERNS = {name: re.compile(pattern) for name, pattern in _TOPICS.items()}


class Places(Protocol):
    """What the rules need of a place match (classifier.places.PlaceMatch fits)."""

    @property
    def named_places(self) -> tuple[str, ...]: ...


class Uncertainty(Protocol):
    """What the rules need of a prediction (classifier.model.Prediction fits)."""

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True)
class Complexity:
    is_complex: bool
    score: float
    reasons: list[str]


def assess_complexity(
    text: str,
    category: str | None,
    place_match: Places | None = None,
    *,
    complex_categories: Iterable[str] = DEFAULT_COMPLEX_CATEGORIES,
    prediction: Uncertainty | None = None,
    threshold: float = COMPLEX_THRESHOLD,
) -> Complexity:
    """Score the ticket; complex when the score reaches ``threshold``. ``category`` is the Chinese
    leaf name; ``prediction`` (optional) lets a low classifier confidence count."""
    score, reasons = 0.0, []

    def add(points: float, reason: str) -> None:
        nonlocal score
        score += points
        reasons.append(reason)

    if category is not None and category in set(complex_categories):
        add(0.5, f"「{category}」类诉求按规定作为复杂工单甄别")
    places = tuple(place_match.named_places) if place_match is not None else ()
    if len(places) >= 2:
        add(0.5, f"涉及多个地点：{'、'.join(places)}")
    agencies = [name for name, pattern in _AGENCY_PATTERNS.items() if pattern.search(text)]
    if len(agencies) >= 3:
        add(0.5, f"涉及多个单位：{'、'.join(agencies)}")
    elif len(agencies) == 2:
        add(0.2, f"涉及两个单位：{'、'.join(agencies)}")
    enumerations = _ENUMERATION.findall(text)
    if len(enumerations) >= 2:
        add(0.5, f"包含多项诉求（分项表述：{'、'.join(dict.fromkeys(enumerations))}）")
    others = _ANOTHER_MATTER.findall(text)
    if others:
        add(0.2, f"提出另外的问题（“{others[0]}”）")
    topics = [name for name, pattern in _TOPIC_PATTERNS.items() if pattern.search(text)]
    if len(topics) >= 3:
        add(0.4, f"涉及多类问题：{'、'.join(topics)}")
    elif len(topics) == 2:
        add(0.2, f"涉及两类问题：{'、'.join(topics)}")
    questions = len(_QUESTION.findall(text))
    if questions >= 3:
        add(0.2, f"提出多个问题（{questions} 个问号）")
    if len(text) > VERY_LONG_TEXT_CHARS:
        add(0.3, f"诉求内容很长（{len(text)} 字）")
    elif len(text) > LONG_TEXT_CHARS:
        add(0.2, f"诉求内容较长（{len(text)} 字）")
    group = _GROUP.search(text)
    if group:
        add(0.3, f"可能是群体性诉求（“{group.group()}”）")
    if prediction is not None and prediction.confidence < UNCERTAIN_BELOW:
        add(0.2, f"分类不确定（最高置信度 {prediction.confidence:.2f}）")

    score = round(min(score, 1.0), 2)
    if not reasons:
        reasons.append("单一诉求，按普通工单处理")
    return Complexity(score >= threshold, score, reasons)
