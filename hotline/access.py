"""Every permission check, in one place, one condition per line.

A unit sees the tickets it holds, held or co-handles, and those of its subtree; the hotline centre (city
operators, dispatchers, supervisors and admins) sees all. A ticket a user may not see is
answered with 404, so its existence does not leak; a ticket the user sees but may not act on
gets 403.
"""

from __future__ import annotations

import asyncpg

from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.records import PersonalView, Ticket

HANDLING_ROLES = frozenset({Role.HANDLER, Role.DISPATCHER})
REVIEWING_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})
REPORT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def at_hotline_centre(user: User, catalog: Catalog) -> bool:
    """The hotline centre is the root unit (the city); its staff see every ticket. False while no
    org tree is imported, so this never raises (the websocket filter calls it without I/O)."""
    return catalog.org is not None and user.unit_id == catalog.org.root.id


async def held_by(conn: asyncpg.Connection, ticket_id: int) -> set[int]:
    return {r["unit_id"] for r in await conn.fetch(Q.ticket_unit_ids, ticket_id)}


async def require_view(conn: asyncpg.Connection, user: User, ticket: Ticket, catalog: Catalog) -> None:
    if at_hotline_centre(user, catalog):
        return
    units = await held_by(conn, ticket.id)
    if ticket.holder_unit_id is not None:
        units.add(ticket.holder_unit_id)
    units.update(ticket.co_unit_ids)  # co-handlers (协办) assist, so they read the ticket too
    if any(catalog.tree.is_within(unit, user.unit_id) for unit in units):
        return
    raise ApiError(404, "找不到该工单", code="ticket_not_found")


def personal_view(user: User, catalog: Catalog, ticket: Ticket) -> PersonalView:
    """Callers' names, numbers and addresses: the hotline centre sees them; below it, a confidential ticket's
    never, and a unit configured to need numbers (sees_phone) on an explicit, logged reveal."""
    if at_hotline_centre(user, catalog):
        return PersonalView.FULL
    if ticket.confidential:
        return PersonalView.WITHHELD
    if user.unit_id in catalog.sees_phone:
        return PersonalView.REVEAL
    return PersonalView.MASKED


def require_reveal(user: User, catalog: Catalog, ticket: Ticket) -> None:
    """查看号码: the centre, or a unit that needs numbers, for a ticket that is not confidential."""
    view = personal_view(user, catalog, ticket)
    if view is PersonalView.WITHHELD:
        raise ApiError(403, "该工单为保密工单，诉求人信息仅热线中心可见", code="confidential")
    if view is PersonalView.MASKED:
        raise ApiError(403, "本单位未开通查看诉求人号码的权限", code="no_reveal")


def require_admin(user: User) -> None:
    """The privacy log and other administration: administrators only."""
    require_role(user, Role.ADMIN)


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        labels = "、".join(r.label for r in roles)
        raise ApiError(403, f"只有{labels}可以执行此操作", code="wrong_role")


def require_holder(user: User, ticket: Ticket) -> None:
    """Handling actions: a handler (or the dispatcher) of the unit that holds the ticket."""
    require_role(user, *HANDLING_ROLES)
    if ticket.holder_unit_id != user.unit_id:
        raise ApiError(403, "该工单不在本单位办理", code="not_holder")


def require_reviewer(
    user: User, unit_id: int | None, catalog: Catalog, roles: frozenset[Role] = REVIEWING_ROLES
) -> None:
    """Reviews (returns, extensions, completions): the dispatcher or supervisor of a level above `unit_id`."""
    require_role(user, *roles)
    if unit_id is None or unit_id == user.unit_id:
        raise ApiError(403, "须由上一级单位审核", code="not_reviewer")
    if not catalog.tree.is_within(unit_id, user.unit_id):
        raise ApiError(403, "须由上一级单位审核", code="not_reviewer")


def require_queue_dispatcher(user: User, ticket: Ticket) -> None:
    require_role(user, Role.DISPATCHER)
    if ticket.holder_unit_id != user.unit_id:
        raise ApiError(403, "该工单不在本级派单队列中", code="not_queue_owner")


def require_supervisor_over(user: User, unit_id: int, catalog: Catalog) -> None:
    """Appeal decisions, supervision orders and urges: a supervisor above the unit concerned."""
    require_role(user, Role.SUPERVISOR)
    if unit_id == user.unit_id or not catalog.tree.is_within(unit_id, user.unit_id):
        raise ApiError(403, "须由上级督办人决定", code="not_supervisor")


def require_hotline(user: User, catalog: Catalog) -> None:
    """Intake, callbacks, closing on the spot and merging: the hotline centre's operators."""
    require_role(user, Role.OPERATOR, Role.DISPATCHER)
    if not at_hotline_centre(user, catalog):
        raise ApiError(403, "只有热线中心可以执行此操作", code="not_hotline")


def visible_units(user: User, catalog: Catalog) -> frozenset[int] | None:
    """The units whose tickets a user may list; None means all."""
    if at_hotline_centre(user, catalog):
        return None
    return catalog.tree.subtree_ids(user.unit_id)


def require_city_admin(user: User, catalog: Catalog) -> None:
    """What changes the whole city's data (historical imports, backups, retention): an administrator of
    the hotline centre."""
    require_role(user, Role.ADMIN)
    if not at_hotline_centre(user, catalog):
        raise ApiError(403, "仅市级（热线中心）管理员可以执行此操作", code="not_city_admin")


def require_report_role(user: User) -> None:
    """The monthly report and the rankings: supervisors and administrators."""
    if user.role not in REPORT_ROLES:
        raise ApiError(403, "仅督办人和管理员可查看分析报告与排名", code="wrong_role")


def report_scope(user: User, catalog: Catalog) -> int | None:
    """The unit whose subtree a user's report covers: None (the whole city) at the hotline centre."""
    return None if at_hotline_centre(user, catalog) else user.unit_id


def require_rules_admin(user: User, catalog: Catalog) -> None:
    """SLA rules and the calendar hold for the whole city: administrators of the hotline centre."""
    require_role(user, Role.ADMIN)
    if not at_hotline_centre(user, catalog):
        raise ApiError(403, "时限规则和工作日历只能由热线中心的管理员修改", code="not_hotline_admin")


def manages_users_of(user: User, unit_id: int, catalog: Catalog) -> bool:
    """An administrator manages the users of their own unit and of every unit below it."""
    return user.role is Role.ADMIN and unit_id in catalog.tree and catalog.tree.is_within(unit_id, user.unit_id)


def require_user_admin(user: User, unit_id: int, catalog: Catalog) -> None:
    """Users: an administrator of the unit or of a unit above it (a district's administrator, its subtree)."""
    require_role(user, Role.ADMIN)
    if unit_id not in catalog.tree:
        raise ApiError(422, "所选单位不存在", code="unknown_unit")
    if not catalog.tree.is_within(unit_id, user.unit_id):
        raise ApiError(403, "只能管理本单位及下级单位的用户", code="outside_subtree")


def user_scope(user: User, catalog: Catalog) -> frozenset[int] | None:
    """The units whose users an administrator lists; None means all (the hotline centre)."""
    require_role(user, Role.ADMIN)
    return None if at_hotline_centre(user, catalog) else catalog.tree.subtree_ids(user.unit_id)
