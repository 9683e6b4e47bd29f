"""Charts for the Den tab: horizontal bar charts drawn as SVG on the server, and each one's CSV.

Each chart is an image with a title and a one-sentence description (`role="img"`), drawn in the
theme's own colours (CSS classes, so the high-contrast theme draws it in its system colours), and
always shown beside a data table holding the same figures: the table is what screen readers and
people who need exact figures read. No script, no inline style (the tab's policy forbids both).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

WIDTH = 640
CHAR = 7.8  # about a character's width at 14 px, for the labels' column
VALUE_GAP = 8
ROW = 28
BAR = 18
LABEL_CHARS = 36


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader's language writes it


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """An SVG bar chart: one labelled bar per row, its value written after it."""
    top = max((b.value for b in bars), default=0) or 1
    label_width = round(max((len(_short(b.label)) for b in bars), default=8) * CHAR) + 2 * VALUE_GAP
    value_room = max((len(b.shown) for b in bars), default=4) * 8 + 2 * VALUE_GAP  # ~8 px a character at 14 px
    room = max(80, WIDTH - label_width - value_room)
    height = max(ROW, ROW * len(bars)) + 4
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(description)}</desc>',
    ]
    for row, bar in enumerate(bars):
        y = row * ROW + 2
        width = max(0.0, bar.value) / top * room
        middle = y + BAR / 2
        parts.append(
            f'<text class="chart-label" x="{label_width - VALUE_GAP}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="central">{escape(_short(bar.label))}</text>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{label_width}" y="{y}" width="{width:.1f}" height="{BAR}" rx="2"/>'
        )
        parts.append(
            f'<text class="chart-value" x="{label_width + width + VALUE_GAP:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="central">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV with typed text kept as text in a spreadsheet (a leading =, +, - or @ gets a quote)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, int | float):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_href(text: str) -> str:
    """A link that downloads the CSV as it is (UTF-8 with a byte-order mark, so a spreadsheet shows accents)."""
    return "data:text/csv;charset=utf-8," + quote("\ufeff" + text, safe="")
