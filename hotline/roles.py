"""The five roles of the hotline system, with their Chinese names."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人",
    Role.SUPERVISOR: "督办人",
    Role.ADMIN: "管理员",
}
ROLE_INPUTS = {**{r.value: r.value for r in Role}, **{label: r.value for r, label in ROLE_LABELS.items()}}
