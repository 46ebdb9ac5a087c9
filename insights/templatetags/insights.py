from django import template
from django.utils.translation import gettext as _

register = template.Library()
NONE = "\N{EN DASH}"


@register.filter
def days(seconds: float | None) -> str:
    """A duration in seconds as days with one decimal, or a dash when there is none."""
    if seconds is None:
        return NONE
    return _("%(days).1f d") % {"days": seconds / 86400}


@register.filter
def percent(share: float | None) -> str:
    """A share from 0 to 1 as a whole percentage, or a dash when there is none."""
    if share is None:
        return NONE
    return f"{round(share * 100)} %"
