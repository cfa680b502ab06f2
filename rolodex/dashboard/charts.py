"""Charts drawn on the server as SVG: bars that a person reads at a glance, with no
script and no library in the browser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Bar:
    """One bar: its place and height in the chart's own units, and what it says."""

    x: float
    width: float
    y: float
    height: float
    label: str
    alert: bool


@dataclass(frozen=True)
class BarChart:
    """A bar chart of one count per period, with a second count drawn over it (the
    part that went wrong)."""

    width: int
    height: int
    bars: list[Bar]
    alerts: list[Bar]
    top: int
    first: str
    last: str


def hourly_bars(
    hours: Sequence[tuple[datetime, int, int]], *, width: int = 720, height: int = 140
) -> BarChart:
    """``(hour, requests, refused)`` per hour as bars: requests in full, refusals (429s
    and failures) over them."""
    top = max([requests for _, requests, _ in hours] + [1])
    step = width / max(len(hours), 1)
    bars, alerts = [], []
    for index, (hour, requests, refused) in enumerate(hours):
        label = f"{hour:%Y-%m-%d %H:00} UTC: {requests} requests, {refused} refused"
        x = index * step
        tall = height * requests / top
        bars.append(Bar(x, max(step - 1, 1), height - tall, tall, label, False))
        if refused:
            low = height * min(refused, requests or refused) / top
            alerts.append(Bar(x, max(step - 1, 1), height - low, low, label, True))
    first = f"{hours[0][0]:%Y-%m-%d %H:00}" if hours else ""
    last = f"{hours[-1][0]:%Y-%m-%d %H:00}" if hours else ""
    return BarChart(width, height, bars, alerts, top, first, last)
