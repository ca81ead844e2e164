"""One row of a historical ticket export, checked and read into a `HistoryTicket`.

The columns are modelled on real 12345 exports (docs/operations.md lists them with their meaning):
工单编号, 受理时间, 来电号码, 来电人, 诉求类型, 渠道, 诉求内容, 地址, 分类, 承办单位, 派单时间, 签收时间,
办结时间, 回访结果/满意度, 是否解决, 状态, and optionally 首次联系时间, 回访时间, 退单次数, 复杂工单. Other
columns are ignored. Times without a zone are the city's local time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.states import TicketState
from dispatch.ticket_types import TicketType
from hotline.imports.mapping import Mapping
from hotline.imports.names import CategoryNames, NameProblem, UnitNames
from hotline.imports.rows import FALSE_INPUTS, TRUE_INPUTS, Row
from hotline.schemas import PHONE_PATTERN

# canonical key -> the headers that mean it (the first is the documented one)
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("工单编号", "工单号"),
    "created_at": ("受理时间", "来电时间", "登记时间"),
    "caller_phone": ("来电号码", "联系电话"),
    "caller_name": ("来电人", "诉求人", "联系人"),
    "type": ("诉求类型", "工单类型"),
    "channel": ("渠道", "诉求渠道", "来源渠道"),
    "content": ("诉求内容", "工单内容"),
    "address": ("地址", "事发地址", "诉求地址"),
    "category": ("分类", "诉求分类", "问题分类"),
    "unit": ("承办单位", "办理单位", "处理单位"),
    "assigned_at": ("派单时间", "交办时间"),
    "signed_at": ("签收时间",),
    "completed_at": ("办结时间",),
    "satisfaction": ("回访结果/满意度", "回访结果", "满意度"),
    "resolved": ("是否解决",),
    "state": ("状态", "工单状态"),
    "first_contact_at": ("首次联系时间", "联系时间"),
    "closed_at": ("回访时间", "归档时间"),
    "return_count": ("退单次数",),
    "is_complex": ("复杂工单", "是否复杂"),
    "confidential": ("保密", "是否保密"),
}
REQUIRED = ("number", "created_at", "type", "channel", "content", "state")

TYPES = {t.label: t.value for t in TicketType} | {t.value: t.value for t in TicketType} | {
    "意见建议": "suggestion", "感谢": "praise", "表扬感谢": "praise", "求助类": "help_request",
}  # fmt: skip
CHANNELS = {
    "电话": "phone", "12345热线": "phone", "热线": "phone", "来电": "phone", "phone": "phone",
    "网站": "web", "网络": "web", "网上": "web", "政府网站": "web", "市长信箱": "web", "web": "web",
    "移动应用": "app", "app": "app", "微信": "app", "小程序": "app", "公众号": "app", "手机": "app",
    "接口": "api", "api": "api",
}  # fmt: skip
IMPORTABLE = (
    TicketState.PENDING_DISPATCH, TicketState.ASSIGNED, TicketState.SIGNED, TicketState.COMPLETED,
    TicketState.REVIEWED, TicketState.CLOSED, TicketState.CLOSED_ON_SPOT,
)  # fmt: skip
STATES = {s.label: s for s in IMPORTABLE} | {s.value: s for s in IMPORTABLE} | {
    "办结": TicketState.CLOSED, "已归档": TicketState.CLOSED, "归档": TicketState.CLOSED, "已关闭": TicketState.CLOSED,
    "已回访": TicketState.CLOSED, "已完成": TicketState.CLOSED,
    "当场办结": TicketState.CLOSED_ON_SPOT, "直办": TicketState.CLOSED_ON_SPOT,
    "待分派": TicketState.PENDING_DISPATCH, "已派单": TicketState.ASSIGNED, "已交办": TicketState.ASSIGNED,
    "办理中": TicketState.SIGNED, "处理中": TicketState.SIGNED, "待审核": TicketState.COMPLETED,
}  # fmt: skip
SATISFACTION = {
    "满意": "satisfied", "非常满意": "satisfied", "satisfied": "satisfied",
    "基本满意": "basically_satisfied", "比较满意": "basically_satisfied", "一般": "basically_satisfied",
    "basically_satisfied": "basically_satisfied",
    "不满意": "dissatisfied", "很不满意": "dissatisfied", "非常不满意": "dissatisfied", "dissatisfied": "dissatisfied",
}  # fmt: skip
# kind -> (the column, what it accepts)
CODED = {
    "type": ("诉求类型", "咨询、求助、投诉、举报、建议、表扬"),
    "channel": ("渠道", "电话、网站、移动应用、接口"),
    "satisfaction": ("回访结果", "满意、基本满意、不满意（未回访的留空）"),
}
NO_CALLBACK = {"", "未回访", "无法联系", "拒绝回访", "无", "-"}
NO_PHONE = {"", "无", "匿名", "-", "不详"}
OPEN = {TicketState.ASSIGNED, TicketState.SIGNED}
CALLED_BACK = {TicketState.CLOSED, TicketState.CLOSED_ON_SPOT}
NEEDS_UNIT = set(IMPORTABLE) - {TicketState.PENDING_DISPATCH, TicketState.CLOSED_ON_SPOT}
NEEDS_ASSIGNED = {TicketState.ASSIGNED, TicketState.SIGNED, TicketState.COMPLETED, TicketState.REVIEWED}
NEEDS_COMPLETED = {TicketState.COMPLETED, TicketState.REVIEWED, TicketState.CLOSED}
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")
_PHONE = re.compile(PHONE_PATTERN)
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_TIME = re.compile(
    r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class HistoryTicket:
    row: int
    number: str
    type: str
    channel: str
    caller_phone: str | None
    caller_name: str | None
    address: str
    content: str
    category_code: str | None
    state: TicketState
    unit_id: int | None
    is_complex: bool
    confidential: bool
    created_at: datetime
    assigned_at: datetime | None
    signed_at: datetime | None
    first_contact_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    satisfaction: str | None
    resolved: bool | None
    return_count: int

    @property
    def holder_unit_id(self) -> int | None:
        return None if self.state is TicketState.CLOSED_ON_SPOT else self.unit_id

    @property
    def lead_unit_id(self) -> int | None:
        """The unit scored for the ticket: the one it was dispatched to (none while it waits for dispatch)."""
        return self.unit_id if self.state in NEEDS_UNIT else None

    @property
    def reopen_count(self) -> int:
        """A dissatisfied callback reopens a ticket here (重办), so the old system's counts as one."""
        return 1 if self.satisfaction == "dissatisfied" else 0


class RowProblems(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def header_problems(header: set[str]) -> list[str]:
    """What the header row lacks, as messages (empty: every required column is there)."""
    missing = [COLUMNS[key][0] for key in REQUIRED if not any(h in header for h in COLUMNS[key])]
    if not missing:
        return []
    return [f"缺少列：{'、'.join(missing)}（第 1 行是表头；各列的含义见 docs/operations.md）"]


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """A moment as old systems and Excel write it; without a zone it is the city's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _TIME.fullmatch(text)
        if match is None:
            raise
        year, month, day, hour, minute, second, zone = match.groups()
        clock = f"{int(hour or 0):02d}:{int(minute or 0):02d}:{int(second or 0):02d}"
        iso = f"{year}-{int(month):02d}-{int(day):02d}T{clock}"
        if zone:
            iso += "+00:00" if zone == "Z" else zone[:3] + ":" + zone[-2:]
        moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


class TicketRowReader:
    """Reads rows against the org tree, the categories and the mapping file; `now` bounds the times."""

    def __init__(
        self, header: set[str], units: UnitNames, categories: CategoryNames, mapping: Mapping, tz: ZoneInfo,
        now: datetime,
    ):  # fmt: skip
        self.keys = {key: next((h for h in names if h in header), None) for key, names in COLUMNS.items()}
        self.units = units
        self.categories = categories
        self.mapping = mapping
        self.tz = tz
        self.latest = now + FUTURE_SLACK
        self._unit_cache: dict[str, int | str] = {}
        self._category_cache: dict[str, str] = {}

    def _get(self, row: Row, key: str) -> str:
        header = self.keys[key]
        return row.values.get(header, "").strip() if header is not None else ""

    def _coded(self, kind: str, text: str, vocabulary: dict[str, str], problems: list[str]) -> str | None:
        label, choices = CODED[kind]
        if not text:
            problems.append(f"{label}必填")
            return None
        mapped = self.mapping.get(kind, text)
        value = vocabulary.get((mapped or text).lower())
        if value is None:
            problems.append(f"{label}「{text}」无法识别，应为 {choices} 之一（或在映射文件中对应）")
        return value

    def _time(self, row: Row, key: str, problems: list[str]) -> datetime | None:
        text = self._get(row, key)
        if not text:
            return None
        label = COLUMNS[key][0]
        try:
            moment = parse_time(text, self.tz)
        except ValueError:
            problems.append(f"{label}「{text}」不是有效的时间（应如 2024-03-01 09:30:00）")
            return None
        if moment > self.latest:
            problems.append(f"{label} {text} 晚于当前时间")
        return moment

    def _unit(self, text: str, problems: list[str]) -> int | None:
        cached = self._unit_cache.get(text)
        if cached is None:
            target = self.mapping.get("unit", text)
            try:
                cached = self.units.find(target or text)
            except NameProblem as exc:
                cached = str(exc) if target is None else f"{exc}（映射文件第 {self.mapping.rows[('unit', text)]} 行）"
            self._unit_cache[text] = cached
        if isinstance(cached, str):
            problems.append(cached)
            return None
        return cached

    def _category(self, text: str, problems: list[str]) -> str | None:
        cached = self._category_cache.get(text)
        if cached is None:
            target = self.mapping.get("category", text)
            try:
                cached = self.categories.find(target or text)
            except NameProblem as exc:
                cached = "!" + str(exc)
            self._category_cache[text] = cached
        if cached.startswith("!"):
            problems.append(cached[1:])
            return None
        return cached

    def read(self, row: Row) -> HistoryTicket:
        """The ticket of `row`, or RowProblems with every problem of the row (Chinese, without the row number)."""
        problems: list[str] = []
        get = self._get
        number = get(row, "number")
        if not _NUMBER.fullmatch(number):
            problems.append(f"工单编号「{number}」须为 1–64 位字母、数字、下划线或连字符" if number else "工单编号必填")
        state_text = get(row, "state")
        mapped_state = self.mapping.get("state", state_text)
        state = STATES.get((mapped_state or state_text).lower())
        if state is None:
            problems.append(
                f"状态「{state_text}」无法导入，应为 待派单、待签收、已签收、办结待审、待回访、已办结、直接办结 之一"
                "（或在映射文件中对应）"
            )
        ticket_type = self._coded("type", get(row, "type"), TYPES, problems)
        channel = self._coded("channel", get(row, "channel"), CHANNELS, problems)
        content = get(row, "content")
        if not content:
            problems.append("诉求内容必填")
        elif len(content) > 5000:
            problems.append(f"诉求内容过长（{len(content)} 字，最多 5000 字）")
        address = get(row, "address")
        if len(address) > 300:
            problems.append("地址过长（最多 300 字）")
        phone = _PHONE_NOISE.sub("", get(row, "caller_phone"))
        if phone.startswith("+86"):
            phone = phone[3:]
        if phone in NO_PHONE:
            phone = ""
        elif not _PHONE.fullmatch(phone):
            problems.append(f"来电号码「{get(row, 'caller_phone')}」不是有效的电话号码")
        name = get(row, "caller_name")
        if len(name) > 50:
            problems.append("来电人姓名过长（最多 50 字）")
        category_text = get(row, "category")
        category = self._category(category_text, problems) if category_text else None
        unit_text = get(row, "unit")
        unit_id = self._unit(unit_text, problems) if unit_text else None
        if unit_text == "" and state in NEEDS_UNIT:
            problems.append(f"状态为{state.label}的工单须填写承办单位")  # type: ignore[union-attr]

        created = self._time(row, "created_at", problems)
        if created is None and not get(row, "created_at"):
            problems.append("受理时间必填")
        assigned = self._time(row, "assigned_at", problems)
        signed = self._time(row, "signed_at", problems)
        completed = self._time(row, "completed_at", problems)
        contacted = self._time(row, "first_contact_at", problems)
        closed = self._time(row, "closed_at", problems)
        if state in NEEDS_ASSIGNED and assigned is None and not get(row, "assigned_at"):
            problems.append(f"状态为{state.label}的工单须填写派单时间")  # type: ignore[union-attr]
        if state is TicketState.SIGNED and signed is None and not get(row, "signed_at"):
            problems.append("状态为已签收的工单须填写签收时间")
        if state in NEEDS_COMPLETED and completed is None and not get(row, "completed_at"):
            problems.append(f"状态为{state.label}的工单须填写办结时间")  # type: ignore[union-attr]
        if state in OPEN | {TicketState.PENDING_DISPATCH} and completed is not None:
            problems.append(f"状态为{state.label}的工单不应有办结时间")  # type: ignore[union-attr]
        order = [("受理时间", created), ("派单时间", assigned), ("签收时间", signed), ("办结时间", completed)]
        order.append(("回访时间", closed))
        known = [(label, t) for label, t in order if t is not None]
        for (first, a), (then, b) in itertools.pairwise(known):
            if b < a:
                problems.append(f"{then}早于{first}")
        if contacted is not None and created is not None and contacted < created:
            problems.append("首次联系时间早于受理时间")

        satisfaction_text = get(row, "satisfaction")
        satisfaction = None
        if (self.mapping.get("satisfaction", satisfaction_text) or satisfaction_text) not in NO_CALLBACK:
            satisfaction = self._coded("satisfaction", satisfaction_text, SATISFACTION, problems)
        resolved_text = get(row, "resolved").lower()
        resolved: bool | None = None
        if resolved_text in TRUE_INPUTS | {"已解决", "解决"}:
            resolved = True
        elif resolved_text in FALSE_INPUTS | {"未解决"} and resolved_text:
            resolved = False
        elif resolved_text:
            problems.append(f"是否解决「{get(row, 'resolved')}」应为 是 或 否")
        if (satisfaction is not None or resolved is not None) and state is not None and state not in CALLED_BACK:
            problems.append("只有已办结（或直接办结）的工单才有回访结果和是否解决")
        returns_text = get(row, "return_count") or "0"
        if not returns_text.isdigit() or int(returns_text) > 100:
            problems.append(f"退单次数「{returns_text}」应为 0–100 的整数")
        complex_text = get(row, "is_complex").lower()
        if complex_text not in TRUE_INPUTS | FALSE_INPUTS:
            problems.append(f"复杂工单「{get(row, 'is_complex')}」应为 是 或 否")
        confidential_text = get(row, "confidential").lower()
        if confidential_text not in TRUE_INPUTS | FALSE_INPUTS:
            problems.append(f"保密「{get(row, 'confidential')}」应为 是 或 否")

        if problems:
            raise RowProblems(problems)
        assert state is not None and ticket_type is not None and channel is not None and created is not None
        if state is TicketState.CLOSED:
            closed = closed or completed
        elif state is TicketState.CLOSED_ON_SPOT:
            closed = closed or completed or created
        else:
            closed = None
        return HistoryTicket(
            row=row.number,
            number=number,
            type=ticket_type,
            channel=channel,
            caller_phone=phone or None,
            caller_name=name or None,
            address=address,
            content=content,
            category_code=category,
            state=state,
            unit_id=unit_id,
            is_complex=complex_text in TRUE_INPUTS,
            # as intake decides: a 举报 is confidential unless the record says otherwise
            confidential=confidential_text in TRUE_INPUTS if confidential_text else ticket_type == "report",
            created_at=created,
            assigned_at=assigned if state is not TicketState.CLOSED_ON_SPOT else None,
            signed_at=signed,
            first_contact_at=contacted,
            completed_at=completed,
            closed_at=closed,
            satisfaction=satisfaction,
            resolved=resolved,
            return_count=int(returns_text),
        )
