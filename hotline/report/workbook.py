"""The monthly report as a spreadsheet (openpyxl): one sheet per section, the same numbers as the page; every
cell written through hotline/exports/cells.py, so ticket text never runs as a formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font

from hotline.exports.cells import append_row

BOLD = Font(bold=True)
SLA_HEADER = ["承办单位", "工单", "按时签收", "超时签收", "按时签收率", "按时办结", "超期办结", "按时办结率"]
SLA_HEADER += ["预警", "超期告警"]


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        append_row(sheet, row)
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(10, min(40, len(name) * 2 + 4))


def write_xlsx(report: dict[str, Any], path: Path | BinaryIO) -> None:
    book = Workbook()
    summary = book.active
    summary.title = "概要"
    c = report["comparison"]
    for row in (
        ["报告", report["title"]],
        ["统计期间", f"{report['period']['start'][:10]} 至 {report['period']['end'][:10]}（不含）"],
        ["受理量", report["volumes"]["total"]],
        [f"上月（{c['previous_month']}）", c["previous_tickets"]],
        ["环比", c["month_on_month"]],
        [f"去年同月（{c['last_year_month']}）", c["last_year_tickets"]],
        ["同比", c["year_on_year"]],
        ["摘要", report["summary"]],
    ):
        append_row(summary, row)
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 100
    v = report["volumes"]
    dimensions = (("渠道", "by_channel"), ("类型", "by_type"), ("类别", "by_category"), ("区", "by_district"))
    rows = [[dim, i["name"], i["tickets"]] for dim, key in (*dimensions, ("街道", "by_street")) for i in v[key]]
    _sheet(book, "受理量", ["维度", "名称", "工单数"], [["合计", "全部", v["total"]], *rows])
    _sheet(book, "月度趋势", ["月份", "工单数"], [[p["month"], p["tickets"]] for p in report["trend"]])
    _sheet(
        book,
        "热点诉求",
        ["热点词", "工单数", "典型工单", "内容"],
        [[t["word"], t["tickets"], t["example"]["number"], t["example"]["content"]] for t in report["hot_topics"]],
    )
    _sheet(
        book,
        "办理时效",
        SLA_HEADER,
        [
            [u["name"], u["tickets"], u["sign_for_on_time"], u["sign_for_late"], u["sign_for_rate"],
             u["completion_on_time"], u["completion_late"], u["completion_rate"], u["warnings"], u["overdue_alerts"]]
            for u in report["sla"]
        ],
    )  # fmt: skip
    _sheet(
        book,
        "重点督办",
        ["类型", "工单编号", "承办单位", "诉求摘要"],
        [[k["label"], t["number"], t["unit"], t["summary"]] for k in report["supervised"].values() for t in k["items"]],
    )
    labels = list(report["components"].values())
    rank_rows = [
        [level["level_label"], e["rank"], e["name"], e["tickets"], *[e["rates"][k] for k in report["components"]],
         e["total"], "是" if e["ranked"] else "样本不足"]
        for level in report["rankings"].values() for e in level["items"]
    ]  # fmt: skip
    _sheet(book, "考核排名", ["层级", "名次", "单位", "工单", *labels, "综合得分", "参与排名"], rank_rows)
    _misrouting_sheet(book, report["misrouting"])
    heat = report["heat"]
    _sheet(book, "街道类别分布", ["街道（镇）", *heat["columns"]], [[r["name"], *r["cells"]] for r in heat["rows"]])
    _sheet(
        book,
        "未诉先办预警",
        ["预警", "窗口开始", "工单数", "常态均值", "涉及工单"],
        [
            [
                w["text"],
                w["local_start"],
                w["ticket_count"],
                w["baseline_mean"],
                "、".join(t["number"] for t in w["tickets"]),
            ]
            for w in report["early_warnings"]
        ],
    )
    _sheet(
        book,
        "专题服务日",
        ["日期", "时段", "单位", "领导", "主题", "工单", "诉求", "承办单位", "状态", "满意度"],
        [
            [d["day"], f"{d['start']}–{d['end']}", d["unit_name"], d["leader"], d["topic"], t["number"], t["summary"],
             t["holder_unit_name"], t["state_label"], t["satisfaction_label"]]
            for d in report.get("service_days", [])
            for t in d["tickets"] or [{"number": "", "summary": "（无来电）", "holder_unit_name": "", "state_label": "",
                                       "satisfaction_label": ""}]
        ],
    )  # fmt: skip
    book.save(path)


def _misrouting_sheet(book: Workbook, m: dict[str, Any]) -> None:
    """派单准确性: the month's dispatch figures, misroutes by cause, and per unit."""
    d = m["dispatch"]
    rows: list[list[Any]] = [
        ["派单工单", d["dispatched"]],
        ["自动派单", d["auto"]],
        ["自动派单率", d["auto_rate"]],
        ["自动派单已办结", d["auto_closed"]],
        ["其中未改派", d["auto_accurate"]],
        ["自动派单准确率", d["auto_accuracy"]],
        ["退单或改派工单", d["returned_or_rerouted"]],
        ["退单或改派率", d["returned_or_rerouted_rate"]],
        ["退单被驳回", m["rejected_returns"]],
        [],
        ["派错原因", "次数", "占比"],
        *[[c["label"], c["incidents"], c["share"]] for c in m["causes"]],
        [],
        ["单位", "收到工单", "派错（被退回或改派）", "派错率", "退单被驳回",
         *[c["label"] for c in m["causes"]], "本级派错"],
        *[
            [u["name"], u["received"], u["misrouted"], u["misrouted_rate"], u["rejected_returns"],
             *[u["causes"][c["cause"]] for c in m["causes"]], u["decided_wrongly"]]
            for u in m["units"]
        ],
    ]  # fmt: skip
    _sheet(book, "派单准确性", ["指标", "数值"], rows)
