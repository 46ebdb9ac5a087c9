"""Route re-planning in the background. Thin tasks: ids in, rows re-read, safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone

from reports.models import Issue
from routing.models import RouteStop

logger = logging.getLogger(__name__)


@shared_task
def replan_for_emergency(issue_id: int) -> int | None:
    """Insert a new emergency into its department's routes of today, if a plan is in force.

    Stops already done or under way stay first; returns the new plan's id, or None when
    there is nothing to re-plan (no plan today, or the emergency is already on a route).
    """
    # Imported here: web processes import this module (to queue the task) but never plan.
    from routing.planning import PlanningRefused, current_plan, plan_routes

    issue = Issue.objects.select_related("department").filter(pk=issue_id).first()
    if issue is None or not issue.emergency or issue.department is None:
        return None
    now = timezone.localtime()
    plan = current_plan(issue.department, now.date())
    if plan is None or RouteStop.objects.filter(route__plan=plan, issue=issue).exists():
        return None
    try:
        return plan_routes(issue.department, now.date(), now=now, time_limit_s=3.0).pk
    except PlanningRefused:
        logger.warning(
            "could not re-plan department %s for issue %s", issue.department_id, issue_id
        )
        return None
