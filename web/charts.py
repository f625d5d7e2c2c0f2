"""Bar charts as inline SVG, rendered on the server: no script, no asset from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

ROW = 28
LABEL_WIDTH = 230
LABEL_CHARS = 30
BAR_WIDTH = 300
VALUE_WIDTH = 70


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    display: str | None = None  # the text shown beside the bar; the value by default


def _clip(label: str) -> str:
    """Long names are cut to fit beside the bars; the chart's description keeps them whole."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    title: str, bars: Sequence[Bar], *, maximum: float | None = None, chart_id: str = "chart"
) -> Markup:
    """A horizontal bar chart, one bar per row, scaled to ``maximum`` (the largest value by
    default). Labelled for screen readers by its title and a text description of every bar."""
    top = maximum if maximum is not None else max((b.value for b in bars), default=0.0)
    top = top if top > 0 else 1.0
    height = ROW * max(len(bars), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    desc = "; ".join(f"{b.label}: {b.display or _fmt(b.value)}" for b in bars) or "no data"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(desc)}</desc>',
    ]
    for i, b in enumerate(bars):
        y = 4 + i * ROW
        length = max(0.0, min(b.value, top)) / top * BAR_WIDTH
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" '
            f'class="chart-label">{escape(_clip(b.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 10}" '
            'class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 18}" '
            f'class="chart-value">{escape(b.display or _fmt(b.value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def percent(part: int, whole: int) -> float:
    return 0.0 if whole <= 0 else round(100.0 * part / whole, 1)
