"""Request bodies of the JSON API: validated here, published as JSON Schemas in /openapi.json."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{5,8})$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
TicketTypeValue = Literal["consultation", "help_request", "complaint", "report", "suggestion", "praise"]


class Body(BaseModel):
    """Booleans are StrictBool throughout: JSON's true and false, not 0, 1 or "yes" (what the schema says)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Login(Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Literal["session", "api"] = "session"


class IntakeDraft(Body):
    content: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    caller_phone: Annotated[str, StringConstraints(pattern=PHONE_PATTERN)] | None = None
    category_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    is_complex: StrictBool | None = None


class NewTicket(Body):
    type: TicketTypeValue
    channel: Literal["phone", "web", "app", "api"] = "phone"
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    caller_phone: Annotated[str, StringConstraints(pattern=PHONE_PATTERN)] | None = None
    caller_name: Annotated[str, StringConstraints(max_length=50)] | None = None
    category_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    urgency: Literal["normal", "urgent"] = "normal"
    confidential: StrictBool | None = Field(
        None, description="保密: the caller's name, number and address kept from every unit; omitted: 举报 tickets are"
    )
    is_complex: StrictBool | None = Field(None, description="the operator's judgement; omitted: predicted")
    close_on_spot: StrictBool = Field(False, description="直接办结: answered from the knowledge base during the call")
    kb_entry_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    answer: Text | None = None
    merge_into: Annotated[int, Field(ge=1, le=2**62)] | None = Field(
        None, description="并单: id of an open master ticket"
    )
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class Assign(Body):
    unit_id: Annotated[int, Field(ge=1, le=2**62)]
    reason: Text = ""
    # the dispatcher's correction of the category; kept as the label the next training uses
    category_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    # 协办: units that assist the lead unit (a dispatcher's, within their subtree)
    co_unit_ids: Annotated[list[Annotated[int, Field(ge=1, le=2**62)]], Field(max_length=20)] = []


class ReasonOnly(Body):
    reason: Reason


class Decision(Body):
    approve: StrictBool
    note: Text = ""


class ReturnDecision(Decision):
    reroute_to: Annotated[int, Field(ge=1, le=2**62)] | None = None


class Contact(Body):
    method: Literal["phone", "visit", "sms", "other"]
    outcome: Literal["reached", "unreachable", "refused"]
    note: Text = ""


class Note(Body):
    text: Reason


class ExtensionRequest(Body):
    extra_days: Annotated[int, Field(ge=1, le=60)]
    reason: Reason


class Completion(Body):
    result: Reason


class Callback(Body):
    reached: StrictBool = True
    resolved: StrictBool | None = None
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = None
    note: Text = ""


class CloseOnSpot(Body):
    kb_entry_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    note: Text = ""


class Merge(Body):
    master_ticket_id: Annotated[int, Field(ge=1, le=2**62)]
    note: Text = ""


class OrderAnswer(Body):
    """A supervised unit's answer to a supervision order: what was done, and the day it will be finished."""

    answer: Reason
    finish_by: datetime.date


class OrderReview(Body):
    """The supervisor's review of an answered order: close it, or re-issue it (the note says why)."""

    close: StrictBool
    note: Text = ""


AttachmentNote = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ServiceDay(Body):
    """专题服务日: the unit whose leader answers, the day and hours (local time), the topic."""

    unit_id: Annotated[int, Field(ge=1, le=2**62)]
    leader: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    day: datetime.date
    start: datetime.time
    end: datetime.time
    topic: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Appeal(Body):
    kind: Literal["overdue", "dissatisfied", "returned", "other"]
    reason: Reason
    # what each supporting document is, e.g. 「延期申请截图（3月2日提交）」
    attachments: Annotated[list[AttachmentNote], Field(max_length=10)] = []


class KbEntry(Body):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    category_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=30)]] = Field(
        default_factory=list, max_length=30
    )


class KbEntryEdit(KbEntry):
    """An administrator's edit; an entry taken out of use (active false) is no longer found."""

    active: StrictBool = True


class KbLink(Body):
    kb_entry_id: Annotated[int, Field(ge=1, le=2**62)]


Minutes = Annotated[float, Field(allow_inf_nan=False)]
Counts = Literal["natural", "working"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class CompletionLimitBody(Body):
    ticket_type: TicketTypeValue | None = Field(None, description="null: any type")
    category_code: Annotated[str, StringConstraints(max_length=32)] | None = Field(None, description="null: any")
    days: int
    counts: Counts = "working"


class SlaRulesBody(Body):
    """The whole rule set as the admin page edits it; `version` is the one the editor loaded (a change
    by someone else since then is refused with 409 instead of being overwritten)."""

    version: Annotated[int, Field(ge=0)] | None = None
    reply_minutes: Minutes
    reply_counts: Counts
    accept_minutes: Minutes
    accept_counts: Counts
    warn_fraction: Annotated[float, Field(allow_inf_nan=False)]
    office_hours: list[tuple[ClockTime, ClockTime]] = Field(max_length=6)
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(max_length=7)
    completion: list[CompletionLimitBody] = Field(max_length=2000)


class CalendarDayBody(Body):
    date: datetime.date
    kind: Literal["holiday", "workday", "normal"] = Field(
        description="normal: remove the mark (the weekday rule applies)"
    )
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    replace: StrictBool = Field(False, description="replace a mark of the other kind on the same date")


class CalendarFileBody(Body):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_base64: Annotated[str, StringConstraints(min_length=1, max_length=250_000)]


class ModelRollback(Body):
    # omitted: back to the version in use before the current one
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")] | None = None


FileName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")]


class ImportUpload(Body):
    """A file to import, announced before its pieces are sent (PUT /api/imports/{id}/chunk)."""

    file_name: FileName
    file_size: Annotated[int, Field(ge=1, le=2 * 1024**3)]
    mapping_name: FileName | None = None


class Open311ClientNew(Body):
    """An Open311 API client key to create: a name people recognise, and the hotline-centre operator whose
    intake the client's requests are recorded as."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    acts_as: Annotated[str, StringConstraints(min_length=2, max_length=64)]


class ProgressQuery(Body):
    """进度查询 by a citizen: the ticket's number and the last four digits of the phone it was made from."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{4,40}$")]
    phone_last4: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}$")]


RoleValue = Literal["operator", "dispatcher", "handler", "supervisor", "admin"]
UnitId = Annotated[int, Field(ge=1, le=2**62)]
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{2,64}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class NewUserBody(Body):
    username: Username
    display_name: DisplayName
    role: RoleValue
    unit_id: UnitId


class UserChangeBody(Body):
    """What an administrator edits of a user; what is left out stays as it is."""

    display_name: DisplayName | None = None
    role: RoleValue | None = None
    unit_id: UnitId | None = None


class OwnPasswordBody(Body):
    current_password: Password
    new_password: Password


UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Alias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LevelValue = Literal["district", "department", "street", "community", "grid"]


class NewUnitBody(Body):
    code: UnitCode
    name: UnitName
    level: LevelValue
    parent_id: UnitId
    kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    aliases: list[Alias] = Field(default_factory=list, max_length=50)
    sees_phone: bool = False


class UnitChangeBody(Body):
    """Rename or edit a unit; what is left out stays as it is. A rename keeps the old name for history."""

    name: UnitName | None = None
    kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    aliases: list[Alias] | None = Field(default=None, max_length=50)
    sees_phone: bool | None = None


class UnitMoveBody(Body):
    parent_id: UnitId


class UnitMergeBody(Body):
    into_id: UnitId


Cell = Annotated[str, StringConstraints(max_length=10000)]


class CategoryBody(Body):
    """One row of the category table, in the import's columns (checked as the import checks them)."""

    code: Annotated[str, StringConstraints(max_length=64)]
    name: Annotated[str, StringConstraints(max_length=100)]
    level1: Annotated[str, StringConstraints(max_length=100)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    active: bool = True


class RuleRowBody(Body):
    """One row of the responsibility table, in the import's columns."""

    level: Annotated[str, StringConstraints(max_length=20)]
    owner_kind: Annotated[str, StringConstraints(max_length=50)] = ""
    owner_unit_code: Annotated[str, StringConstraints(max_length=64)] = ""
    co_handlers: Annotated[str, StringConstraints(max_length=500)] = ""
    priority: Annotated[str, StringConstraints(max_length=10)] = "0"


class CategoryRulesBody(Body):
    """A category's whole responsibility table: it replaces that category's rules."""

    category_code: Annotated[str, StringConstraints(max_length=64)]
    rules: list[RuleRowBody] = Field(max_length=200)


WebhookEvent = Literal["assigned", "urged", "order_issued", "warning", "overdue", "returned", "reopened"]


class NewWebhook(Body):
    unit_id: Annotated[int, Field(ge=1, le=2**62)]
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{2,64}$")] | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]
    events: Annotated[list[WebhookEvent], Field(min_length=1, max_length=7)]
    include_subtree: bool = False


class WebhookSwitch(Body):
    enabled: bool
