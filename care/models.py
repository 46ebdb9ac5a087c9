"""Citizen care: escalation chains, their firings, daily digests, ratings, qualifications.

Each "once" in the loop (a level per issue, a digest per office per day, an invitation per
follower) is a row with a unique constraint, claimed in the same transaction as the e-mail it
stands for: two beat processes, a retry or a restart cannot send it twice.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models import Department
from reports.models import Category, CategoryGroup, Issue, Report, Reporter


class Deadline(models.TextChoices):
    TAKE_IN_CHARGE = "take_in_charge", _("taking in charge")
    CLOSE = "close", _("closing")


class EscalationLevel(models.Model):
    """One step of a category's (or group's) chain: who is told, how long after which deadline."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_levels",
        verbose_name=_("category"),
    )
    group = models.ForeignKey(
        CategoryGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_levels",
        verbose_name=_("category group"),
        help_text=_("For every category of the group that has no chain of its own."),
    )
    deadline = models.CharField(
        _("deadline"), max_length=20, choices=Deadline.choices, default=Deadline.CLOSE
    )
    after_working_days = models.PositiveSmallIntegerField(
        _("working days after the deadline"), default=0
    )
    name = models.CharField(_("who is told"), max_length=120)
    email = models.EmailField(
        _("e-mail"), blank=True, help_text=_("Leave empty for the issue's department.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["deadline", "after_working_days", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False, group__isnull=True)
                | Q(category__isnull=True, group__isnull=False),
                name="escalation_level_category_or_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category or self.group}: {self.name} (+{self.after_working_days})"


class Escalation(models.Model):
    """A level that fired for an issue's deadline: the row is the claim that makes it fire once.

    A reopened issue gets new deadlines (reports.workflow.change_status), so each level can
    fire once more for them.
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="escalations")
    level = models.ForeignKey(EscalationLevel, on_delete=models.PROTECT, related_name="+")
    deadline_at = models.DateTimeField()
    recipient = models.EmailField()
    fired_at = models.DateTimeField(default=timezone.now)
    # When the recipient's e-mail listing it went; empty: still owed (care.escalation sends
    # it after the claim commits, and every sweep tries again until it goes).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "level", "deadline_at"], name="escalation_once_per_deadline"
            )
        ]
        indexes = [
            # Each sweep's look for e-mails still owed, by recipient (care.escalation.owed_to).
            models.Index(
                fields=["recipient"],
                name="escalation_unsent",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.issue_id} level {self.level_id}"


class OfficeDigest(models.Model):
    """The daily report of one office (department) for one day, sent once."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict)  # counts only, for the record

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "day"], name="digest_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.day}"


class RatingInvitation(models.Model):
    """The e-mail that asked one follower of a closed issue to rate the work, sent once."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(Reporter, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "reporter"], name="rating_invitation_once")
        ]

    def __str__(self) -> str:
        return f"#{self.issue_id} to reporter {self.reporter_id}"


class Rating(models.Model):
    """A citizen's 1-5 judgement of the work on a closed issue; they may change it.

    One per person and issue: a reporter's (from the e-mail's link or the tracking page of
    any of their reports), or, for a report filed without any contact, that report's.
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="ratings")
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["issue", "reporter"], name="rating_once_per_person"),
            models.UniqueConstraint(fields=["issue", "report"], name="rating_once_per_report"),
            models.CheckConstraint(
                condition=Q(reporter__isnull=False, report__isnull=True)
                | Q(reporter__isnull=True, report__isnull=False),
                name="rating_by_reporter_or_report",
            ),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"#{self.issue_id}: {self.stars}"


@dataclass(frozen=True)
class Rater:
    """Who rates an issue: a reporter, or a report filed without any contact (no reporter)."""

    reporter_id: int | None = None
    report_id: int | None = None

    @classmethod
    def of_report(cls, report: Report) -> "Rater":
        """The person behind a report; the report itself when nobody left a contact.

        A reporter rates as themselves from every report's tracking page and from the
        e-mail's link alike: one rating per person, never one per way in.
        """
        if report.reporter_id is not None:
            return cls(reporter_id=report.reporter_id)
        return cls(report_id=report.pk)

    def lookup(self) -> dict[str, Any]:
        """The Rating fields that name this rater, for filter() and update_or_create()."""
        if self.reporter_id is not None:
            return {"reporter_id": self.reporter_id}
        return {"report_id": self.report_id}

    def exists(self) -> bool:
        if self.reporter_id is not None:
            return Reporter.objects.filter(pk=self.reporter_id).exists()
        return self.report_id is not None and Report.objects.filter(pk=self.report_id).exists()


class Verdict(models.TextChoices):
    ACCURATE = "accurate", _("accurate")
    WRONG_CATEGORY = "wrong_category", _("wrong category")
    EXAGGERATED = "exaggerated", _("exaggerated")
    FAKE = "fake", _("fake")


class Qualification(models.Model):
    """Staff's verdict on one report (one per report; the latest word counts)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="qualification")
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.verdict}"
