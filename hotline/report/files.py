"""The monthly report as files: HTML and a spreadsheet side by side (`hotline report monthly`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotline.report.render import render_html
from hotline.report.workbook import write_xlsx


def write_files(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write report-YYYY-MM.html and .xlsx into `out`; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"report-{report['month']}.html"
    xlsx = out / f"report-{report['month']}.xlsx"
    html.write_text(render_html(report), encoding="utf-8")
    write_xlsx(report, xlsx)
    return html, xlsx
