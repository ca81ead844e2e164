"""Charts as inline SVG, drawn on the server: no JS library, no CDN, and they print.

Each chart scales to its container (viewBox, width 100%) so it never runs past the page.
"""

from __future__ import annotations

from markupsafe import Markup, escape

FONT = "font-family=\"'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif\""
BAR = "#2f6fb5"
LINE = "#c0392b"


def _svg(width: int, height: int, body: str, label: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img" aria-label="{escape(label)}" {FONT} font-size="13">{body}</svg>'
    )


def bar_chart(items: list[tuple[str, int]], label: str, width: int = 640) -> Markup:
    """Horizontal bars, largest first as given; the value is printed at the end of each bar."""
    if not items:
        return Markup('<p class="empty">本月无数据</p>')
    row, label_width, value_width = 26, 150, 60
    height = row * len(items) + 8
    top = max(v for _, v in items) or 1
    span = width - label_width - value_width
    parts = []
    for i, (name, value) in enumerate(items):
        y = 4 + i * row
        length = max(1.0, span * value / top)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="#333">{escape(_clip(name, 10))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" rx="3" fill="{BAR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" fill="#333">{value}</text>'
        )
    return _svg(width, height, "".join(parts), label)


def line_chart(points: list[tuple[str, int]], label: str, width: int = 640, height: int = 240) -> Markup:
    """A trend line over months, each point labelled with its count."""
    left, right, top_pad, bottom = 48, 20, 24, 40
    inner_w, inner_h = width - left - right, height - top_pad - bottom
    top = max((v for _, v in points), default=0) or 1
    step = inner_w / max(1, len(points) - 1)
    coords = [(left + i * step, top_pad + inner_h * (1 - v / top)) for i, (_, v) in enumerate(points)]
    parts = [
        f'<line x1="{left}" y1="{top_pad + inner_h}" x2="{width - right}" y2="{top_pad + inner_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" fill="#666" font-size="11">{top}</text>',
        f'<text x="{left - 6}" y="{top_pad + inner_h}" text-anchor="end" fill="#666" font-size="11">0</text>',
        '<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>'.format(
            LINE, " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        ),
    ]
    for (name, value), (x, y) in zip(points, coords, strict=True):
        month = name[2:].replace("-", ".")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}"/>'
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="#333" font-size="11">{value}</text>'
            f'<text x="{x:.1f}" y="{top_pad + inner_h + 18}" text-anchor="middle" fill="#555" font-size="11">'
            f"{escape(month)}</text>"
        )
    return _svg(width, height, "".join(parts), label)


def heat_colour(value: int, top: int) -> str:
    """White to deep blue; the text turns white on dark cells (see the template)."""
    share = 0 if not top else value / top
    return f"rgba(47,111,181,{0.08 + 0.85 * share:.2f})" if value else "#fff"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
