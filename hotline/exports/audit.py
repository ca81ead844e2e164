"""The audit log as CSV (UTF-8 with BOM, so Excel shows the Chinese): every cell through `cells.csv_row`,
because usernames tried at a failed login and names typed by administrators are anyone's text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

import asyncpg

from hotline.audit.actions import action_label
from hotline.exports.cells import csv_row

HEADER = ["时间", "用户", "操作", "操作代码", "对象", "来源地址", "浏览器", "修改前", "修改后"]


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_csv(rows: Iterable[asyncpg.Record], tz: tzinfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            csv_row(
                [
                    f"{r['at'].astimezone(tz):%Y-%m-%d %H:%M:%S}",
                    r["actor_name"],
                    action_label(r["action"]),
                    r["action"],
                    r["target"],
                    r["ip"],
                    r["user_agent"],
                    _json(r["before"]),
                    _json(r["after"]),
                ]
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
