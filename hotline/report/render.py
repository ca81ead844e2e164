"""The monthly report as one self-contained HTML file: inline CSS, inline SVG, nothing fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hotline.report import charts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    env.filters["change"] = lambda v: "—" if v is None else f"{'+' if v >= 0 else ''}{v * 100:.1f}%"
    env.globals["heat_colour"] = charts.heat_colour
    return env


def _pairs(items: list[dict[str, Any]], limit: int = 16) -> list[tuple[str, int]]:
    return [(i["name"], i["tickets"]) for i in items[:limit]]


def render_html(report: dict[str, Any]) -> str:
    v = report["volumes"]
    figures = {
        "channel": charts.bar_chart(_pairs(v["by_channel"]), "按渠道"),
        "type": charts.bar_chart(_pairs(v["by_type"]), "按类型"),
        "category": charts.bar_chart(_pairs(v["by_category"]), "按类别"),
        "district": charts.bar_chart(_pairs(v["by_district"]), "按区"),
        "street": charts.bar_chart(_pairs(v["by_street"], 15), "按街道（前 15）"),
        "trend": charts.line_chart([(p["month"], p["tickets"]) for p in report["trend"]], "近 13 个月受理量"),
        "topics": charts.bar_chart([(t["word"], t["tickets"]) for t in report["hot_topics"]], "热点词"),
    }
    return _environment().get_template("report.html").render(r=report, fig=figures)
