"""Working-day arithmetic for SLA deadlines: weekends, Italian holidays, the patron saint's day."""

import datetime as dt
from functools import cache

import holidays
from django.conf import settings
from django.utils import timezone


@cache
def _italian_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Italy(years=year).keys())


def is_working_day(day: dt.date, patron_saint_day: str) -> bool:
    """Tell whether `day` is a working day; patron_saint_day is 'MM-DD' or ''."""
    if day.weekday() >= 5 or day in _italian_holidays(day.year):
        return False
    return not (patron_saint_day and day.strftime("%m-%d") == patron_saint_day)


def add_working_days(start: dt.datetime, days: int, patron_saint_day: str) -> dt.datetime:
    """Return the moment `days` working days after `start`, at the same local time of day.

    Days are counted on the municipality's calendar (TIME_ZONE) whatever `start`'s zone: at
    00:30 on a Saturday in Rome a UTC `start` is still on Friday, a working day.
    """
    moment = timezone.localtime(start)
    remaining = days
    while remaining > 0:
        moment += dt.timedelta(days=1)
        if is_working_day(moment.date(), patron_saint_day):
            remaining -= 1
    return moment


def deadlines(
    start: dt.datetime, take_in_charge_working_days: int, close_working_days: int
) -> tuple[dt.datetime, dt.datetime]:
    """Return when an issue opened at `start` must be taken in charge and closed.

    Days are counted on the municipality's local calendar (add_working_days): a report sent at
    00:30 on a Monday in Rome is a Monday report.
    """
    return (
        add_working_days(start, take_in_charge_working_days, settings.PATRON_SAINT_DAY),
        add_working_days(start, close_working_days, settings.PATRON_SAINT_DAY),
    )
