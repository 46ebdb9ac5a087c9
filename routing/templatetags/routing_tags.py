"""{% stop_qualify_form report stop %}: care's verdict form, coming back to the crew's stop."""

from typing import Any

from django import template

from care.templatetags.care import qualify_form
from reports.models import Report
from routing.models import RouteStop

register = template.Library()


@register.inclusion_tag("care/_qualify_form.html", takes_context=True)
def stop_qualify_form(context: template.Context, report: Report, stop: RouteStop) -> dict[str, Any]:
    """Render care's form; after posting, the browser comes back to this stop, not the top.

    A route has up to hundreds of stops: landing on the first one after each verdict made
    the crew scroll back to where they were.
    """
    form = qualify_form(context, report)
    form["next"] = f"{form['next']}#stop-{stop.position}"
    return form
