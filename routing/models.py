import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Department, Depot

DAY_S = 24 * 3600


class Crew(models.Model):
    """A field team of a department; its route starts and ends at its depot.

    A shift that ends before it starts ends the next day (a night shift, 22:00-06:00): it
    belongs to the day it starts, whose plan holds its route.
    """

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="crews")
    name = models.CharField(_("name"), max_length=200)
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="crews")
    shift_start = models.TimeField(_("shift start"), default=dt.time(7, 30))
    shift_end = models.TimeField(_("shift end"), default=dt.time(15, 30))
    active = models.BooleanField(_("active"), default=True)
    # The people who work in the crew: they see its routes on the crew page.
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="crews", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("crew")
        verbose_name_plural = _("crews")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.shift_start is not None and self.shift_start == self.shift_end:
            raise ValidationError(
                {"shift_end": _("The shift must end at another time than it starts.")}
            )

    def shift_seconds(self) -> tuple[int, int]:
        """Return the shift as seconds from midnight of its first day: (start_s, end_s).

        end_s passes 86 400 when the shift ends the next day. Precondition: clean() passed.
        """
        start_s, end_s = _seconds(self.shift_start), _seconds(self.shift_end)
        return start_s, end_s + DAY_S if end_s < start_s else end_s


def _seconds(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


class RoutePlan(models.Model):
    """A department's crew routes for one day, as planned at one moment."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="plans")
    date = models.DateField(_("date"))
    objective = models.CharField(max_length=10, default="urgency")
    solver = models.CharField(max_length=60, blank=True)
    solve_s = models.FloatField(default=0.0)
    weighted_lateness = models.FloatField(default=0.0)
    # "roads" when travel times come from the imported road network, else "straight_line".
    network = models.CharField(max_length=20, default="roads")
    notes = models.JSONField(default=list, blank=True)
    # A newer plan of the same department and day replaces this one (re-planning).
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("route plan")
        verbose_name_plural = _("route plans")
        indexes = [
            # GET .../routes/?date=: the current plan of a department and day.
            models.Index(fields=["department", "date", "superseded"], name="routeplan_current")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.date}"


class CrewRoute(models.Model):
    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="routes")
    crew = models.ForeignKey(Crew, on_delete=models.CASCADE, related_name="routes")
    distance_m = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)
    ends_at = models.DateTimeField(null=True, blank=True)
    # The route line on the roads, [[lon, lat], ...], depot to depot (empty on straight lines).
    line = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["plan", "crew__name"]

    def __str__(self) -> str:
        return f"{self.crew} {self.plan.date}"


def after_photo_path(instance: "RouteStop", filename: str) -> str:
    return f"after/{secrets.token_hex(2)}/{secrets.token_hex(12)}.jpg"


class RouteStop(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANNOT_FIX = "cannot_fix", _("cannot fix")

    class CannotFix(models.TextChoices):
        NOT_FOUND = "not_found", _("the problem is not there")
        NEEDS_EQUIPMENT = "needs_equipment", _("needs other equipment or a contractor")
        NO_ACCESS = "no_access", _("the place cannot be reached")
        NOT_OURS = "not_ours", _("not our department's work")
        OTHER = "other", _("other reason")

    route = models.ForeignKey(CrewRoute, on_delete=models.CASCADE, related_name="stops")
    issue = models.ForeignKey("reports.Issue", on_delete=models.CASCADE, related_name="route_stops")
    position = models.PositiveSmallIntegerField()
    arrives_at = models.DateTimeField()
    departs_at = models.DateTimeField()
    late_s = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PLANNED)
    cannot_fix_reason = models.CharField(max_length=20, choices=CannotFix.choices, blank=True)
    # The crew's own words: internal, never on a public page.
    note = models.TextField(max_length=2000, blank=True)
    # The photo of the finished work, re-encoded without metadata; public on the issue page.
    after_photo = models.ImageField(upload_to=after_photo_path, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["route", "position"]

    def __str__(self) -> str:
        return f"{self.position}. #{self.issue_id}"


class LeftOut(models.Model):
    """An open issue the plan could not fit, and why."""

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="left_out")
    issue = models.ForeignKey("reports.Issue", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"#{self.issue_id}: {self.reason}"
