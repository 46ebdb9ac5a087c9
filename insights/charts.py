"""Server-rendered bar charts: geometry computed here (pure), drawn as SVG by the template."""

import datetime as dt
from dataclasses import dataclass

WIDTH_PX = 640
HEIGHT_PX = 200
AXIS_PX = 24  # room under the bars for the week labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str  # "opened" or "closed": the CSS class and the legend


@dataclass(frozen=True)
class WeekColumn:
    week: dt.date
    label_x: float
    bars: tuple[Bar, Bar]


@dataclass(frozen=True)
class WeeklyChart:
    width: int
    height: int
    baseline_y: float
    top: int
    columns: list[WeekColumn]


def weeks_since(since: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays from the week of `since` to the week of `today`, in order."""
    first = since - dt.timedelta(days=since.weekday())
    last = today - dt.timedelta(days=today.weekday())
    count = (last - first).days // 7 + 1
    return [first + dt.timedelta(weeks=n) for n in range(max(count, 0))]


def weekly_chart(
    weeks: list[dt.date], opened: dict[dt.date, int], closed: dict[dt.date, int]
) -> WeeklyChart:
    """Lay out paired bars (opened, closed) per week, scaled to the largest value."""
    top = max([1, *opened.values(), *closed.values()])
    plot_h = HEIGHT_PX - AXIS_PX
    slot = WIDTH_PX / max(len(weeks), 1)
    bar_w = slot * 0.4
    columns = []
    for n, week in enumerate(weeks):
        left = n * slot + slot * 0.1
        bars = []
        for offset, series, value in (
            (0, "opened", opened.get(week, 0)),
            (1, "closed", closed.get(week, 0)),
        ):
            height = plot_h * value / top
            bars.append(Bar(left + offset * bar_w, plot_h - height, bar_w, height, value, series))
        columns.append(WeekColumn(week, n * slot + slot / 2, (bars[0], bars[1])))
    return WeeklyChart(WIDTH_PX, HEIGHT_PX, plot_h, top, columns)
