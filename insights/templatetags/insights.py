from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()
NONE = "\N{EN DASH}"


@register.filter
def days(seconds: float | None) -> str:
    """A duration in seconds as days with one decimal, or a dash when there is none.

    The decimal separator is the active language's (Italian "1,5 g", English "1.5 d").
    """
    if seconds is None:
        return NONE
    return _("%(days)s d") % {"days": one_decimal(seconds / 86400)}


@register.filter
def average(value: float | None) -> str:
    """A mean (of 1-5 ratings) with one decimal in the active language, or a dash for none."""
    if value is None:
        return NONE
    return one_decimal(value)


def one_decimal(value: float) -> str:
    """`value` rounded to one decimal, with the active language's separator."""
    # number_format cuts the digits it does not show (3.67 would read 3.6): round first.
    return number_format(round(value, 1), 1)


@register.filter
def percent(share: float | None) -> str:
    """A share from 0 to 1 as a whole percentage, or a dash when there is none."""
    if share is None:
        return NONE
    return f"{round(share * 100)} %"
