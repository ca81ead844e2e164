"""The mapping file of a ticket import: the old system's names for units, categories and the coded
columns, each paired with ours. Columns 类型, 原名称, 本系统名称 (or kind, old, new); 类型 is one of
单位, 分类, 渠道, 诉求类型, 状态, 回访结果. Documented in docs/operations.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hotline.imports.rows import ImportFailed, Row, read_rows

KINDS = {
    "单位": "unit",
    "承办单位": "unit",
    "unit": "unit",
    "分类": "category",
    "category": "category",
    "渠道": "channel",
    "channel": "channel",
    "诉求类型": "type",
    "类型": "type",
    "type": "type",
    "状态": "state",
    "state": "state",
    "回访结果": "satisfaction",
    "满意度": "satisfaction",
    "satisfaction": "satisfaction",
}
KIND_NAMES = "单位、分类、渠道、诉求类型、状态、回访结果"
COLUMNS = {"kind": ("类型", "kind"), "old": ("原名称", "原系统名称", "old"), "new": ("本系统名称", "新名称", "new")}


@dataclass(frozen=True)
class Mapping:
    """old name -> our name, per kind; `rows` says where each pair came from, for error messages."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def get(self, kind: str, old: str) -> str | None:
        return self.names.get(kind, {}).get(old)


def _cell(row: Row, key: str) -> str:
    return next((row.get(name) for name in COLUMNS[key] if name in row.values), "")


def read_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    rows = read_rows(path)
    if rows and not all(any(name in rows[0].values for name in names) for names in COLUMNS.values()):
        raise ImportFailed(["映射文件须有 类型、原名称、本系统名称 三列（第 1 行是表头）"])
    names: dict[str, dict[str, str]] = {}
    where: dict[tuple[str, str], int] = {}
    errors = []
    for row in rows:
        kind_text, old, new = _cell(row, "kind"), _cell(row, "old"), _cell(row, "new")
        kind = KINDS.get(kind_text.lower())
        if kind is None:
            errors.append(f"映射文件第 {row.number} 行：类型「{kind_text}」无效，应为 {KIND_NAMES} 之一")
        elif not old or not new:
            errors.append(f"映射文件第 {row.number} 行：原名称和本系统名称都须填写")
        elif old in names.get(kind, {}) and names[kind][old] != new:
            first = where[(kind, old)]
            errors.append(f"映射文件第 {row.number} 行：{kind_text}「{old}」在第 {first} 行已对应到别的名称")
        else:
            names.setdefault(kind, {})[old] = new
            where.setdefault((kind, old), row.number)
    if errors:
        raise ImportFailed(errors)
    return Mapping(names, where)
