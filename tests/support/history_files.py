"""Historical ticket exports written for the import tests: the documented columns (docs/operations.md),
rows for the demo city, as CSV or Excel."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl

COLUMNS = [
    "工单编号", "受理时间", "来电号码", "来电人", "诉求类型", "渠道", "诉求内容", "地址", "分类", "承办单位",
    "派单时间", "签收时间", "办结时间", "回访结果/满意度", "是否解决", "状态",
]  # fmt: skip


def closed_row(number: str, day: str, **changes: str) -> dict[str, str]:
    """A noise complaint at 柳岸花园 handled by 柳岸社区 on `day` (YYYY-MM-DD, local), closed and satisfied."""
    row = {
        "工单编号": number,
        "受理时间": f"{day} 09:12:00",
        "来电号码": "13900001111",
        "来电人": "张先生",
        "诉求类型": "投诉",
        "渠道": "电话",
        "诉求内容": "柳岸花园楼下的烧烤店每天营业到凌晨，油烟和噪音很大，希望管一管。",
        "地址": "东湖区青山街道柳岸花园3栋",
        "分类": "噪音扰民",
        "承办单位": "东湖区青山街道柳岸社区",
        "派单时间": f"{day} 09:20:00",
        "签收时间": f"{day} 09:50:00",
        "办结时间": f"{day} 16:30:00",
        "回访结果/满意度": "满意",
        "是否解决": "是",
        "状态": "已办结",
    }
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or COLUMNS
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or COLUMNS
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    book.save(path)
    return path
