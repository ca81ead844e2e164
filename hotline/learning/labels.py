"""What the model guessed for a ticket, and the categories people gave it at the dispatch gate.

The guess (top-3 with probabilities and the model version) orders the dispatcher queue, least sure
first. A dispatcher's category is a training label with their name: a correction when it differs
from the category shown, a confirmation when it is the same. Both land in category_labels and
the ticket's trail; the training export and the retrain job read them.
"""

from __future__ import annotations

from typing import Any

from hotline.analysis import Analysis
from hotline.auth import User
from hotline.queries import Q
from hotline.tickets.journal import Actor, Context, log_action
from hotline.tickets.records import Ticket

RECATEGORISE = "recategorise"  # the trail's action for a correction (no state change)


def margin(top: list[dict[str, Any]]) -> float:
    """How sure the model was: the first probability minus the second (1.0 with a single label)."""
    if not top:
        return 1.0
    second = top[1]["confidence"] if len(top) > 1 else 0.0
    return max(0.0, min(1.0, float(top[0]["confidence"]) - float(second)))


def prediction_row(analysis: Analysis) -> tuple[str | None, str | None, list[dict[str, Any]] | None, float | None]:
    """The model's guess kept for a new ticket (model version, category, top, margin), written with the ticket
    (Q.insert_ticket); all None when a person chose the category."""
    if analysis.model_version is None or not analysis.top:
        return None, None, None, None
    return analysis.model_version, analysis.top[0]["code"], analysis.top, margin(analysis.top)


async def record_label(ctx: Context, user: User, ticket: Ticket, category_code: str) -> None:
    """A dispatcher settled the category of `ticket` (as it was before their change) on `category_code`."""
    await ctx.conn.execute(
        Q.insert_category_label,
        ticket.id,
        ctx.now,
        user.id,
        user.unit_id,
        ticket.category_code,
        ticket.category_source,
        category_code,
    )
    if category_code != ticket.category_code:
        names = ctx.catalog.categories
        before = names[ticket.category_code].name if ticket.category_code in names else "未分类"
        await log_action(
            ctx,
            ticket,
            RECATEGORISE,
            Actor.of(user),
            reason=f"分类由「{before}」更正为「{names[category_code].name}」",
            payload={
                "from_code": ticket.category_code,
                "from_source": ticket.category_source,
                "to_code": category_code,
            },
        )
