"""Operators' clustering decisions: merge two issues, split reports out of one.

A manual decision is never undone by the automatic matching: reports an operator placed are
marked placed_by_staff, issues an operator split apart get a Separation, and
clustering.recluster leaves both alone.
"""

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.assignment import choose_assignment
from backoffice.audit import record
from clustering.models import Separation
from reports.actions import refresh_issue
from reports.models import (
    CloseReason,
    Issue,
    Report,
    Status,
    Subscription,
    Supporter,
    TimelineEntry,
)
from reports.sla import deadlines
from reports.texts import entry_fields


class ClusteringRefused(ValueError):
    """An operator asked for a merge or split that cannot be done; str() says why."""


def merge_issues(
    source: Issue, target: Issue, *, actor: User | AnonymousUser | None, automatic: bool = False
) -> Issue:
    """Move every report, supporter and subscription of `source` into `target`.

    `source` is closed as a duplicate pointing at `target`, which keeps the earlier first
    report and the earlier due date of the two. Manual merges mark the moved reports as placed
    by staff. Returns the refreshed target.
    """
    actor = _staff(actor)
    if source.pk == target.pk:
        raise ClusteringRefused(_("An issue cannot be merged with itself."))
    with transaction.atomic():
        locked = Issue.objects.select_for_update().in_bulk(sorted([source.pk, target.pk]))
        source, target = locked[source.pk], locked[target.pk]
        if Status.CLOSED in (source.status, target.status):
            raise ClusteringRefused(_("Only open issues can be merged."))
        moved = Report.objects.filter(issue=source)
        moved.update(issue=target, **({} if automatic else {"placed_by_staff": True}))
        _move_supporters(source, target)
        _move_subscriptions(source, target)
        Separation.objects.filter(
            first=min(source.pk, target.pk), second=max(source.pk, target.pk)
        ).delete()
        now = timezone.now()
        source.status = Status.CLOSED
        source.close_reason = CloseReason.DUPLICATE
        source.closed_at = now
        source.merged_into = target
        source.version += 1
        source.save()
        refresh_issue(source)
        target.first_reported_at = min(target.first_reported_at, source.first_reported_at)
        # The earlier promise holds (it once was min(..., now): every merged issue fell due at
        # once and escalated).
        target.due_at = min(
            (d for d in (target.due_at, source.due_at) if d is not None), default=None
        )
        target.version += 1
        refresh_issue(target, recentre=True)
        data = {"automatic": automatic, "source": source.pk, "target": target.pk}
        if not automatic:
            record(actor, "issue.merge", source, after=data)
        TimelineEntry.objects.create(
            issue=source,
            kind=TimelineEntry.Kind.MERGED,
            actor=actor,
            status=Status.CLOSED,
            close_reason=CloseReason.DUPLICATE,
            **entry_fields(lambda: _("Same problem as issue #%(id)s.") % {"id": target.pk}, data),
        )
        TimelineEntry.objects.create(
            issue=target,
            kind=TimelineEntry.Kind.MERGED,
            actor=actor,
            **entry_fields(
                lambda: (
                    _("Issue #%(id)s was the same problem: its reports are here now.")
                    % {"id": source.pk}
                ),
                data,
            ),
        )
    return target


def split_reports(
    issue: Issue, report_ids: Sequence[int], *, actor: User | AnonymousUser | None
) -> Issue:
    """Move some reports of `issue` into a new issue of their own and return it.

    The moved reports are marked placed by staff and the two issues are recorded as separate,
    so that re-clustering never puts them back together.
    """
    actor = _staff(actor)
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        if issue.status == Status.CLOSED:
            raise ClusteringRefused(_("Only open issues can be split."))
        reports = list(issue.reports.filter(pk__in=report_ids).order_by("created_at", "id"))
        if not reports or len(reports) != len(set(report_ids)):
            raise ClusteringRefused(_("Pick reports that belong to this issue."))
        if len(reports) == issue.report_count:
            raise ClusteringRefused(_("At least one report must stay in the issue."))
        first = reports[0]
        category = first.category
        first_at = first.created_at
        # Routed and due as if it had been opened by its first report.
        assignment = choose_assignment(category, first.area)
        take_in_charge_due_at, due_at = deadlines(
            first_at, category.take_in_charge_working_days, category.sla_working_days
        )
        new = Issue.objects.create(
            category=category,
            department=assignment.department,
            operator_group_id=assignment.operator_group_id,
            area=first.area,
            location=first.location,
            address=first.address,
            status=Status.NEW,
            first_reported_at=first_at,
            last_reported_at=first_at,
            take_in_charge_due_at=take_in_charge_due_at,
            due_at=due_at,
        )
        Report.objects.filter(pk__in=report_ids).update(issue=new, placed_by_staff=True)
        for reporter_id in {r.reporter_id for r in reports if r.reporter_id}:
            Subscription.objects.get_or_create(issue=new, reporter_id=reporter_id)
        Separation.objects.get_or_create(first=issue, second=new, defaults={"actor": actor})
        data = {"from": issue.pk, "to": new.pk, "reports": sorted(report_ids)}
        record(actor, "issue.split", issue, after=data)
        TimelineEntry.objects.create(
            issue=new, kind=TimelineEntry.Kind.CREATED, actor=actor, status=Status.NEW, data=data
        )
        TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.SPLIT,
            actor=actor,
            **entry_fields(
                lambda: (
                    _("Some reports were about another problem: see issue #%(id)s.")
                    % {"id": new.pk}
                ),
                data,
            ),
        )
        for changed in (issue, new):
            changed.version += 1
            refresh_issue(changed, recentre=True)
    return new


def _staff(actor: User | AnonymousUser | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _move_supporters(source: Issue, target: Issue) -> None:
    # A person who supported both issues counts once in the merged one.
    present = target.supporters.all()
    source.supporters.filter(
        Q(reporter__in=present.exclude(reporter=None).values("reporter"))
        | Q(session_hash__in=present.exclude(session_hash="").values("session_hash"))
    ).delete()
    Supporter.objects.filter(issue=source).update(issue=target)


def _move_subscriptions(source: Issue, target: Issue) -> None:
    source.subscriptions.filter(reporter__in=target.subscriptions.values("reporter")).delete()
    Subscription.objects.filter(issue=source).update(issue=target)
