"""{% qualify_form report %}: the verdict form for one report, for back-office and crew pages."""

from typing import Any

from django import template

from care.models import Qualification, Verdict
from reports.models import Report

register = template.Library()


@register.inclusion_tag("care/_qualify_form.html", takes_context=True)
def qualify_form(context: template.Context, report: Report) -> dict[str, Any]:
    """Render the form; after posting, the browser comes back to the page it was on."""
    request = context.get("request")
    # Pages that list many reports annotate `verdict` (one query); others ask here.
    if hasattr(report, "verdict"):
        current = report.verdict
    else:
        current = (
            Qualification.objects.filter(report=report).values_list("verdict", flat=True).first()
        )
    return {
        "report": report,
        "current": current or "",
        "verdicts": Verdict.choices,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
