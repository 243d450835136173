"""Charts of KPI series: one ``Chart`` description, drawn as PNG (Pillow) or inline SVG.

Both renderers share one layout (plot box, nice y ticks, x label thinning), so a PNG and
the HTML report's SVG of the same chart agree. Titles and labels may mix Chinese and
English; PNGs use WenQuanYi Micro Hei when installed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from laotie.core.errors import InvalidInput

ChartKind = Literal["line", "bar", "stacked"]
CJK_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
SVG_FONT_FAMILY = (
    "'WenQuanYi Micro Hei','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif"
)
#: Okabe-Ito colours: distinguishable with common colour-vision deficiencies
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: dash patterns (drawn, skipped; in px) of a line chart's series in order: a later series
#: drawn over an earlier one with the same values (WAU = MAU in a young home) leaves it
#: visible in its gaps
DASHES: tuple[tuple[int, ...], ...] = ((), (10, 6), (2, 5), (14, 4, 2, 4))
GRID = "#E3E6EA"
AXIS = "#5B6470"
TEXT = "#1F2937"


@dataclass(frozen=True)
class Chart:
    """A chart: ``series`` maps a legend name to one value (or None) per x label."""

    kind: ChartKind
    title: str
    x_labels: Sequence[str]
    series: dict[str, Sequence[float | None]]
    y_label: str = ""
    percent: bool = False
    subtitle: str = ""
    width: int = 960
    height: int = 480
    colors: Sequence[str] = field(default=PALETTE)

    def __post_init__(self) -> None:
        if self.kind not in ("line", "bar", "stacked"):
            raise InvalidInput(f"unknown chart kind {self.kind!r}", field="kind")
        for name, values in self.series.items():
            if len(values) != len(self.x_labels):
                raise InvalidInput(
                    f"series {name!r} has {len(values)} values for {len(self.x_labels)} labels",
                    field="series",
                    limit=len(self.x_labels),
                )


@dataclass(frozen=True)
class _Layout:
    left: int
    top: int
    right: int
    bottom: int
    y_max: float
    ticks: list[float]

    def x_center(self, i: int, n: int) -> float:
        step = (self.right - self.left) / max(n, 1)
        return self.left + step * (i + 0.5)

    def bar_width(self, n: int) -> float:
        return (self.right - self.left) / max(n, 1) * 0.7

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * (value / self.y_max if self.y_max else 0)


def nice_ticks(top: float, *, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def format_value(value: float, *, percent: bool = False) -> str:
    """A short human label: 12.5%, 1.2万, 3.4亿, 0.25."""
    if percent:
        return f"{value * 100:.0f}%" if value * 100 >= 10 or value == 0 else f"{value * 100:.1f}%"
    magnitude = abs(value)
    if magnitude >= 1e8:
        return f"{value / 1e8:.1f}亿"
    if magnitude >= 1e4:
        return f"{value / 1e4:.1f}万"
    if magnitude >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _layout(chart: Chart) -> _Layout:
    values = [v for vs in chart.series.values() for v in vs if v is not None]
    if chart.kind == "stacked":
        sums = [sum(vs[i] or 0 for vs in chart.series.values()) for i in range(len(chart.x_labels))]
        top = max(sums, default=0.0)
    else:
        top = max(values, default=0.0)
    ticks = nice_ticks(top)
    legend_width = 170 if len(chart.series) > 1 else 30
    return _Layout(
        left=84,
        top=78 if chart.subtitle else 62,
        right=chart.width - legend_width,
        bottom=chart.height - 64,
        y_max=ticks[-1],
        ticks=ticks,
    )


def _label_stride(labels: Sequence[str], width: float) -> int:
    """Show every k-th x label so that labels (12 px text) do not run into each other."""
    widest = max((len(label) for label in labels), default=0)
    fits = max(int(width // max(56, 7.5 * widest + 12)), 1)
    return max(math.ceil(len(labels) / fits), 1)


def _segments(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]


def _bars(chart: Chart, layout: _Layout) -> list[tuple[float, float, float, float, str]]:
    """Bar rectangles (x0, y0, x1, y1, colour) for bar and stacked charts."""
    n = len(chart.x_labels)
    names = list(chart.series)
    rects = []
    width = layout.bar_width(n)
    for i in range(n):
        cx = layout.x_center(i, n)
        if chart.kind == "stacked":
            base = 0.0
            for s, name in enumerate(names):
                v = chart.series[name][i] or 0.0
                rects.append(
                    (
                        cx - width / 2,
                        layout.y(base + v),
                        cx + width / 2,
                        layout.y(base),
                        _c(chart, s),
                    )
                )
                base += v
        else:
            each = width / len(names)
            for s, name in enumerate(names):
                value = chart.series[name][i]
                if value is None:
                    continue
                x0 = cx - width / 2 + s * each
                rects.append((x0, layout.y(value), x0 + each, layout.y(0), _c(chart, s)))
    return rects


def _c(chart: Chart, index: int) -> str:
    return chart.colors[index % len(chart.colors)]


def _dash(index: int) -> tuple[int, ...]:
    return DASHES[index % len(DASHES)]


def dashed(
    points: Sequence[tuple[float, float]], pattern: Sequence[float]
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The drawn pieces of a polyline under a dash ``pattern`` (lengths drawn, skipped, ...;
    empty: one piece a segment), the pattern running on across the corners."""
    if not pattern:
        return list(pairwise(points))
    pieces = []
    step, left = 0, pattern[0]
    for (x0, y0), (x1, y1) in pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        at = 0.0
        while at < length:
            end = min(at + left, length)
            if step % 2 == 0:
                t0, t1 = at / length, end / length
                pieces.append(
                    ((x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0),
                     (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1))
                )  # fmt: skip
            left -= end - at
            at = end
            if left <= 1e-9:
                step += 1
                left = pattern[step % len(pattern)]
    return pieces


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONT_PATHS:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def render_png(chart: Chart, path: Path | str, *, scale: int = 2) -> Path:
    """Draw ``chart`` as a PNG at ``scale`` x resolution and write it to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    layout = _layout(chart)
    image = Image.new("RGB", (chart.width * scale, chart.height * scale), "white")
    draw = ImageDraw.Draw(image)
    s = scale

    def text(xy: tuple[float, float], value: str, size: int, fill: str = TEXT, anchor: str = "la"):
        draw.text((xy[0] * s, xy[1] * s), value, font=_font(size * s), fill=fill, anchor=anchor)

    text((24, 18), chart.title, 20)
    if chart.subtitle:
        text((24, 46), chart.subtitle, 13, fill=AXIS)
    for tick in layout.ticks:
        y = layout.y(tick)
        draw.line([(layout.left * s, y * s), (layout.right * s, y * s)], fill=GRID, width=s)
        text((layout.left - 8, y), format_value(tick, percent=chart.percent), 12, AXIS, "rm")
    draw.line(
        [(layout.left * s, layout.bottom * s), (layout.right * s, layout.bottom * s)],
        fill=AXIS,
        width=s,
    )
    n = len(chart.x_labels)
    stride = _label_stride(chart.x_labels, layout.right - layout.left)
    for i, label in enumerate(chart.x_labels):
        if i % stride == 0:
            text((layout.x_center(i, n), layout.bottom + 8), label, 12, AXIS, "ma")
    if chart.y_label:
        y_title = Image.new("RGBA", ((layout.bottom - layout.top) * s, 24 * s), (255, 255, 255, 0))
        ImageDraw.Draw(y_title).text(
            (y_title.width / 2, y_title.height / 2),
            chart.y_label,
            font=_font(13 * s),
            fill=AXIS,
            anchor="mm",
        )
        rotated = y_title.rotate(90, expand=True)
        image.paste(rotated, (14 * s, layout.top * s), rotated)

    if chart.kind == "line":
        for index, values in enumerate(chart.series.values()):
            color = _c(chart, index)
            for run in _segments(values):
                points = [(layout.x_center(i, n) * s, layout.y(v) * s) for i, v in run]
                if not _dash(index) and len(points) > 1:
                    draw.line(points, fill=color, width=3 * s, joint="curve")
                elif len(points) > 1:
                    for a, b in dashed(points, [d * s for d in _dash(index)]):
                        draw.line([a, b], fill=color, width=3 * s)
                for x, y in points:
                    r = 3.5 * s
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
    else:
        for x0, y0, x1, y1, color in _bars(chart, layout):
            draw.rectangle([x0 * s, min(y0, y1) * s, x1 * s, max(y0, y1) * s], fill=color)

    if len(chart.series) > 1:
        for index, name in enumerate(chart.series):
            y = layout.top + 6 + index * 24
            x = layout.right + 20
            if chart.kind == "line":  # a sample of the line, dashes and all
                sample = [(x * s, y * s), ((x + 22) * s, y * s)]
                for a, b in dashed(sample, [d * s for d in _dash(index)]):
                    draw.line([a, b], fill=_c(chart, index), width=3 * s)
            else:
                box = [x * s, (y - 6) * s, (x + 14) * s, (y + 6) * s]
                draw.rectangle(box, fill=_c(chart, index))
            text((x + 28, y), name, 13, TEXT, "lm")
    image.save(target, format="PNG", optimize=True)
    return target


def render_svg(chart: Chart) -> str:
    """``chart`` as a self-contained inline SVG element (no scripts, no external fonts)."""
    layout = _layout(chart)
    n = len(chart.x_labels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" '
        f'role="img" aria-label="{escape(chart.title)}" '
        f'style="font-family:{SVG_FONT_FAMILY};width:100%;height:auto">',
        f'<rect width="{chart.width}" height="{chart.height}" fill="white"/>',
        f'<text x="24" y="38" font-size="20" fill="{TEXT}">{escape(chart.title)}</text>',
    ]
    if chart.subtitle:
        parts.append(
            f'<text x="24" y="60" font-size="13" fill="{AXIS}">{escape(chart.subtitle)}</text>'
        )
    for tick in layout.ticks:
        y = layout.y(tick)
        parts.append(
            f'<line x1="{layout.left}" x2="{layout.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/>'
            f'<text x="{layout.left - 8}" y="{y + 4:.1f}" font-size="12" fill="{AXIS}" '
            f'text-anchor="end">{escape(format_value(tick, percent=chart.percent))}</text>'
        )
    parts.append(
        f'<line x1="{layout.left}" x2="{layout.right}" y1="{layout.bottom}" '
        f'y2="{layout.bottom}" stroke="{AXIS}"/>'
    )
    stride = _label_stride(chart.x_labels, layout.right - layout.left)
    for i, label in enumerate(chart.x_labels):
        if i % stride == 0:
            parts.append(
                f'<text x="{layout.x_center(i, n):.1f}" y="{layout.bottom + 20}" font-size="12" '
                f'fill="{AXIS}" text-anchor="middle">{escape(label)}</text>'
            )
    if chart.y_label:
        mid = (layout.top + layout.bottom) / 2
        parts.append(
            f'<text transform="translate(26 {mid:.1f}) rotate(-90)" font-size="13" '
            f'fill="{AXIS}" text-anchor="middle">{escape(chart.y_label)}</text>'
        )
    if chart.kind == "line":
        for index, (name, values) in enumerate(chart.series.items()):
            color = _c(chart, index)
            for run in _segments(values):
                points = " ".join(f"{layout.x_center(i, n):.1f},{layout.y(v):.1f}" for i, v in run)
                dash = " ".join(map(str, _dash(index)))
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="3" '
                    f'stroke-linejoin="round"{f" stroke-dasharray={dash!r}" if dash else ""}/>'
                )
                for i, v in run:
                    parts.append(
                        f'<circle cx="{layout.x_center(i, n):.1f}" cy="{layout.y(v):.1f}" r="3.5" '
                        f'fill="{color}"><title>{escape(name)} {escape(chart.x_labels[i])}: '
                        f"{escape(format_value(v, percent=chart.percent))}</title></circle>"
                    )
    else:
        for x0, y0, x1, y1, color in _bars(chart, layout):
            parts.append(
                f'<rect x="{x0:.1f}" y="{min(y0, y1):.1f}" width="{x1 - x0:.1f}" '
                f'height="{abs(y1 - y0):.1f}" fill="{color}"/>'
            )
    if len(chart.series) > 1:
        for index, name in enumerate(chart.series):
            y = layout.top + 6 + index * 24
            x = layout.right + 20
            color = _c(chart, index)
            dash = " ".join(map(str, _dash(index)))
            sample = (
                f'<line x1="{x}" x2="{x + 22}" y1="{y}" y2="{y}" stroke="{color}" '
                f'stroke-width="3"{f" stroke-dasharray={dash!r}" if dash else ""}/>'
                if chart.kind == "line"
                else f'<rect x="{x}" y="{y - 6}" width="14" height="12" fill="{color}"/>'
            )
            parts.append(
                f'{sample}<text x="{x + 28}" y="{y + 5}" font-size="13" fill="{TEXT}">'
                f"{escape(name)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
