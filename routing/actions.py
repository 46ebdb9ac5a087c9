"""What a crew does at a stop of its route: start the work, finish it with a photo, or give up.

Each action moves the stop and its issue together (reports.workflow.change_status), so the
issue's timeline and its followers' e-mails say what the crew did. The phrases the public
reads are written in the municipality's language, as the staff's own replies are.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.actors import Actor, account
from reports.models import CloseReason, Status
from reports.photos import ProcessedPhoto
from reports.workflow import change_status
from routing.models import RouteStop

logger = logging.getLogger(__name__)

State = RouteStop.State
CannotFix = RouteStop.CannotFix
# A stop in one of these states is finished for the day: nothing more happens to it.
FINAL_STATES = {State.DONE, State.CANNOT_FIX}


class StopRefused(ValueError):
    """The crew cannot do that at this stop now; str() says why, in the user's language."""


class StopSuperseded(StopRefused):
    """The stop belongs to a plan that a newer one replaced: work goes on the current route."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This route was re-planned: nothing was recorded. "
                "Record the work on the current route."
            )
        )


def start_stop(stop_id: int, *, actor: Actor) -> RouteStop:
    """Mark a stop as under way and its issue as in progress. A second tap changes nothing."""
    with transaction.atomic():
        stop = _locked(stop_id)
        if stop.state == State.IN_PROGRESS:
            return stop
        _refuse_if_final(stop)
        _move(stop, State.IN_PROGRESS, actor)
        change_status(
            stop.issue_id,
            Status.IN_PROGRESS,
            actor=actor,
            public_text=lambda: _("A crew is on site and working on it."),
        )
    return stop


def finish_stop(stop_id: int, *, actor: Actor, photo: ProcessedPhoto, note: str = "") -> RouteStop:
    """Close a stop's issue as fixed, with the photo of the finished work (public).

    The photo is checked and cleaned by reports.photos.process_photo before this is called.
    """
    with transaction.atomic():
        stop = _locked(stop_id)
        _refuse_if_final(stop)
        stop.after_photo.save("after.jpg", ContentFile(photo.content), save=False)
        stored = str(stop.after_photo.name)
        try:
            stop.note = note
            _move(stop, State.DONE, actor, extra=["after_photo", "note"])
            change_status(
                stop.issue_id,
                Status.CLOSED,
                actor=actor,
                public_text=lambda: _("Fixed by the crew."),
                close_reason=CloseReason.FIXED,
                internal_note=note,
                data={"after_photo_stop": stop.pk},
            )
        except BaseException:
            # No stop without its photo, no photo without its stop.
            stop.after_photo.storage.delete(stored)
            raise
    return stop


def give_up_stop(stop_id: int, *, actor: Actor, reason: str, note: str = "") -> RouteStop:
    """Record that a stop could not be fixed, and why; the issue goes where the reason says.

    Not found on site closes the issue; any other reason sends it back to the department to
    be scheduled again. The crew's note stays internal.
    """
    if reason not in CannotFix.values:
        raise StopRefused(_("Choose why the problem cannot be fixed."))
    if reason == CannotFix.OTHER and not note.strip():
        raise StopRefused(_("Write a short note saying why the problem cannot be fixed."))
    with transaction.atomic():
        stop = _locked(stop_id)
        _refuse_if_final(stop)
        stop.cannot_fix_reason = CannotFix(reason)
        stop.note = note
        _move(stop, State.CANNOT_FIX, actor, extra=["cannot_fix_reason", "note"])
        if reason == CannotFix.NOT_FOUND:
            change_status(
                stop.issue_id,
                Status.CLOSED,
                actor=actor,
                public_text=lambda: _("The crew went there and did not find the problem."),
                close_reason=CloseReason.NOT_REPRODUCIBLE,
                internal_note=note,
            )
        else:
            change_status(
                stop.issue_id,
                Status.ASSIGNED,
                actor=actor,
                public_text=lambda: (
                    _(
                        "The crew could not fix it today (%(reason)s). "
                        "It goes back to the department to be scheduled again."
                    )
                    % {"reason": CannotFix(reason).label}
                ),
                internal_note=note,
            )
    return stop


def refuse_if_superseded(stop: RouteStop) -> None:
    """Refuse work on a stop of a re-planned day; its issue's stop on the new plan is the one."""
    if stop.route.plan.superseded:
        raise StopSuperseded


def _locked(stop_id: int) -> RouteStop:
    # The plan's row is locked too: a re-plan marks it superseded and then copies the stops
    # under way to the new plan, so a stop started meanwhile would stay "planned" there.
    # Waiting on the lock, either the re-plan sees this change or this action sees the re-plan.
    stop = (
        RouteStop.objects.select_for_update(of=("self", "route__plan"))
        .select_related("route__plan")
        .filter(pk=stop_id)
        .first()
    )
    if stop is None:
        raise StopRefused(_("This stop is no longer on any route."))
    refuse_if_superseded(stop)
    return stop


def _refuse_if_final(stop: RouteStop) -> None:
    if stop.state in FINAL_STATES:
        raise StopRefused(
            _("This stop is already marked as “%(state)s”.") % {"state": stop.get_state_display()}
        )


def _move(stop: RouteStop, state: State, actor: Actor, extra: list[str] | None = None) -> None:
    stop.state = state
    stop.state_changed_at = timezone.now()
    stop.state_changed_by = account(actor)
    stop.save(update_fields=["state", "state_changed_at", "state_changed_by", *(extra or [])])
    logger.info("stop %s of route %s is now %s", stop.pk, stop.route_id, state)
