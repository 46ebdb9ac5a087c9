"""Celery beat's care jobs: thin wrappers that read the clock and call the care modules."""

from celery import shared_task
from django.utils import timezone

from care.digest import send_office_digests
from care.escalation import run_escalations
from care.invitations import send_invitations


@shared_task
def escalate_overdue() -> int:
    """Fire every escalation level that is due (and re-alert lost emergencies); return fired."""
    return run_escalations(timezone.now())


@shared_task
def send_daily_digests() -> int:
    """Send today's digest to each office that has not had it yet; return how many."""
    return send_office_digests(timezone.now())


@shared_task
def invite_ratings() -> int:
    """Ask the followers of recently closed issues to rate the work, once each."""
    return send_invitations(timezone.now())
