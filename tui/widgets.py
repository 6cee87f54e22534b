"""Small renderers shared by the screens: bars, sparklines with their scale, the heatmap."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BLOCKS = " ▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"


def spark(values: Sequence[int | float], width: int | None = None) -> str:
    """A one-line chart of ``values`` (resampled to ``width`` columns by summing)."""
    vals = list(values)
    if width and len(vals) > width:
        step = len(vals) / width
        vals = [sum(vals[int(i * step) : int((i + 1) * step)]) for i in range(width)]
    top = max(vals, default=0)
    if top <= 0:
        return "▁" * len(vals)
    return "".join(BLOCKS[max(1, round(v / top * 8))] if v > 0 else "▁" for v in vals)


def bar(done: int, total: int, width: int = 20) -> str:
    """A progress bar with its figures: ``████░░░░ 412/1,000``."""
    frac = 1.0 if total <= 0 else min(1.0, done / total)
    filled = round(frac * width)
    return f"{'█' * filled}{'░' * (width - filled)} {done:,}/{total:,}"


def heatmap(grid: Sequence[Sequence[int]], days: Sequence[str]) -> Text:
    """Rows of weekdays by 24 hours, shaded by count (the busiest hour is ``█``)."""
    top = max((v for row in grid for v in row), default=0)
    text = Text("     " + "".join(f"{h:<3}" if h % 3 == 0 else "" for h in range(24)).rstrip() + "\n", style="dim")
    for day, row in zip(days, grid, strict=True):
        text.append(f"{day}  ")
        for v in row:
            level = 0 if top <= 0 or v <= 0 else max(1, round(v / top * 4))
            text.append(SHADES[level], style="bold" if level == 4 else "")
        text.append(f"  {sum(row):,}\n", style="dim")
    text.rstrip()
    return text


def short(text: str | None, width: int) -> str:
    """Cut ``text`` to ``width`` characters with an ellipsis."""
    text = text or ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
