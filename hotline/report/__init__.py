"""The monthly analysis report (月度分析报告): data (one dict), HTML with inline SVG, a spreadsheet,
and the unit scores, rankings and early warnings it reports."""
