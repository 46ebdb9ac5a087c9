"""Working-day arithmetic for SLA deadlines: weekends, Italian holidays, the local holidays."""

import datetime as dt
from collections.abc import Collection
from functools import cache

import holidays
from django.conf import settings
from django.utils import timezone


@cache
def _italian_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Italy(years=year).keys())


def is_working_day(day: dt.date, local_holidays: Collection[str]) -> bool:
    """Tell whether `day` is a working day; local_holidays are days of the year as 'MM-DD'.

    settings.LOCAL_HOLIDAYS holds the municipality's (its patron saint's day and others).
    """
    if day.weekday() >= 5 or day in _italian_holidays(day.year):
        return False
    return day.strftime("%m-%d") not in local_holidays


def add_working_days(start: dt.datetime, days: int, local_holidays: Collection[str]) -> dt.datetime:
    """Return the moment `days` working days after `start`, at the same local time of day.

    Days are counted on the municipality's calendar (TIME_ZONE) whatever `start`'s zone: at
    00:30 on a Saturday in Rome a UTC `start` is still on Friday, a working day.
    """
    moment = timezone.localtime(start)
    remaining = days
    while remaining > 0:
        moment += dt.timedelta(days=1)
        if is_working_day(moment.date(), local_holidays):
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
        add_working_days(start, take_in_charge_working_days, settings.LOCAL_HOLIDAYS),
        add_working_days(start, close_working_days, settings.LOCAL_HOLIDAYS),
    )
