"""Domain operations on reports and issues. Views, API, admin and tasks call these."""

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from backoffice.assignment import choose_assignment
from care.models import Rating
from care.reliability import weight as reliability_weight
from clustering.candidates import (
    find_candidates,
    lock_neighbourhood,
    match_params,
    search_reach_m,
)
from clustering.match import Decision, Incoming, MatchParams, choose_issue
from geo.geocode import address_at_once
from geo.models import Area
from geo.querysets import area_at
from geo.units import make_point
from maps_static.tasks import public_layer_changed
from outbox.actions import enqueue
from privacy.descriptions import hide_in_report, record_hidden_contact_details
from reports import tasks
from reports.models import (
    Category,
    Channel,
    Issue,
    Photo,
    Report,
    Reporter,
    Status,
    SubmissionKey,
    Subscription,
    Supporter,
    TimelineEntry,
)
from reports.photos import ProcessedPhoto
from reports.priority import (
    PriorityInputs,
    compute_priority,
    move_deadline_term,
    sla_elapsed_fraction,
)
from reports.querysets import ReportFacts, contributions, lock_open_issue, set_priorities
from reports.sla import deadlines
from routing.tasks import replan_for_emergency

logger = logging.getLogger(__name__)


class PhotoStorageError(Exception):
    """The photo store failed (disk, object store): nothing was saved, the citizen may retry."""


class NotLookedUp:
    """NewReport.area's default: nobody has looked up the ward yet (None means: no ward)."""


NOT_LOOKED_UP = NotLookedUp()


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.email or self.phone)


@dataclass(frozen=True)
class NewReport:
    """A validated submission: coordinates in degrees, answers already cleaned."""

    lat: float
    lon: float
    category: Category
    description: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)
    urgency: int = 3
    emergency: bool = False
    channel: str = Channel.WEB
    contact: Contact = field(default_factory=Contact)
    language: str = "it"
    photos: Sequence[ProcessedPhoto] = ()
    user: AbstractBaseUser | None = None
    accuracy_m: float | None = None  # the phone's GPS accuracy; None for a pin set by hand
    # The client's Idempotency-Key: a retry with the same key files nothing new.
    idempotency_key: str = ""
    # The ward holding the point, when validation already looked it up (one query per
    # submission less, measured by bench/scale.py); NOT_LOOKED_UP: submit_report does.
    area: Area | NotLookedUp | None = NOT_LOOKED_UP


def submit_report(new: NewReport) -> Report:
    """File a citizen's report: store it with its photos and attach it to an issue.

    The report joins the best open duplicate issue (clustering.match) or opens a new one,
    inside one transaction that holds an advisory lock on its neighbourhood, so that reports of
    the same problem sent at the same moment end in one issue. E-mail addresses and phone
    numbers in the description and the text answers are hidden at once (privacy.descriptions);
    staff keep the text as typed, as the moderation policy allows. All or nothing: on any error no
    row and no stored photo file is left behind. Background work (thumbnails, an address from
    Nominatim, the emergency alert) is queued only once the transaction commits; the offline
    address (the nearest imported street) is stored with the report.
    """
    original = new.description
    with translation.override(new.language):
        hidden = hide_in_report(original, new.answers)
    # The matcher reads the public text too: it never compares on a phone number.
    new = replace(new, description=hidden.description.text, answers=hidden.answers)
    point = make_point(new.lat, new.lon)
    area = area_at(point) if isinstance(new.area, NotLookedUp) else new.area
    params = match_params(new.category.match_whole_group)
    # None: asked of Nominatim in the background (after_report_submitted).
    address = address_at_once(new.lat, new.lon)
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            decision, joined = _lock_and_choose(new, params, now)
            reporter = reporter_for(new.contact, new.language, new.user)
            if joined is None:
                issue = _open_issue(new, point, area, address or "", now, reporter)
            else:
                issue = joined
                if address and not issue.address:
                    issue.address = address
            report = _store_report(new, issue, reporter, decision, point, area, address, now)
            if hidden.changed:
                record_hidden_contact_details(report, original, hidden)
            if new.idempotency_key:
                # Unique: a concurrent retry with the same key waits here, then fails and
                # rolls back whole (the caller answers with the first report).
                SubmissionKey.objects.create(key=new.idempotency_key, report=report)
            for position, photo in enumerate(new.photos):
                _store_photo(report, photo, position, stored_files)
            _add_to_timeline(issue, report, joined=joined is not None)
            subscribe(issue, reporter)
            if joined is not None:
                refresh_issue(issue, now=now, recentre=True)
            if new.photos or address is None:
                enqueue(tasks.after_report_submitted, report.pk)
            if new.emergency:
                enqueue(tasks.alert_emergency_contact, issue.pk)
                enqueue(replan_for_emergency, issue.pk)
    except Exception:
        for name in stored_files:
            default_storage.delete(name)
        raise
    return report


def _lock_and_choose(
    new: NewReport, params: MatchParams, now: dt.datetime
) -> tuple[Decision, Issue | None]:
    """Lock the report's neighbourhood, then choose the issue it joins and lock that too."""
    lock_neighbourhood(
        new.category.group_id,
        new.lat,
        new.lon,
        search_reach_m(new.category, params, new.accuracy_m),
    )
    incoming = Incoming(
        x_m=0.0,
        y_m=0.0,
        category=new.category.code,
        group=new.category.group.code,
        created_s=now.timestamp(),
        description=new.description,
        phashes=tuple(photo.phash for photo in new.photos),
        accuracy_m=new.accuracy_m,
    )
    return _choose_and_lock(new, incoming, params, now)


def _store_report(
    new: NewReport,
    issue: Issue,
    reporter: Reporter | None,
    decision: Decision,
    point: Any,
    area: Area | None,
    address: str | None,
    now: dt.datetime,
) -> Report:
    return Report.objects.create(
        issue=issue,
        category=new.category,
        location=point,
        location_accuracy_m=new.accuracy_m,
        address=address or "",
        area=area,
        description=new.description,
        answers=dict(new.answers),
        urgency=new.urgency,
        emergency=new.emergency,
        channel=new.channel,
        reporter=reporter,
        photo_location=_first_photo_location(new.photos),
        match={
            "joined": decision.issue_id is not None,
            "score": decision.score,
            **decision.evidence,
        },
        language=new.language,
        created_at=now,
    )


def _add_to_timeline(issue: Issue, report: Report, *, joined: bool) -> None:
    """A report joining an issue is a public event; an emergency an internal one."""
    if joined:
        TimelineEntry.objects.create(
            issue=issue, kind=TimelineEntry.Kind.REPORT_ADDED, data={"report": report.pk}
        )
    if report.emergency:
        # Internal: the public page must not read as an alarm; staff see the escalation.
        TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.EMERGENCY,
            public=False,
            data={"report": report.pk},
        )


def _choose_and_lock(
    new: NewReport, incoming: Incoming, params: MatchParams, now: dt.datetime
) -> tuple[Decision, Issue | None]:
    """Choose the issue the report joins and lock it; None: open a new one.

    Staff close and merge issues without the neighbourhood lock, so the chosen issue may be
    closed between the candidates' read and its lock: then the choice is made again from the
    rows as they are now (once; a second miss opens a new issue).
    """
    for _attempt in range(2):
        candidates = find_candidates(new.lat, new.lon, new.category, params, now, new.accuracy_m)
        decision = choose_issue(incoming, candidates, params)
        if decision.issue_id is None:
            return decision, None
        issue = lock_open_issue(decision.issue_id)
        if issue is not None:
            if issue.category_id == new.category.pk:
                issue.category = new.category  # the same row: refresh_issue needs no query
            return decision, issue
    return replace(decision, issue_id=None), None


def _open_issue(
    new: NewReport, point: Any, area: Any, address: str, now: Any, reporter: Reporter | None
) -> Issue:
    """Open an issue for a report that joins none, its counters and priority already those of
    that one report (one INSERT: no refresh_issue, which would read the report back and write
    the whole row again)."""
    category = new.category
    take_in_charge_due_at, due_at = deadlines(
        now, category.take_in_charge_working_days, category.sla_working_days
    )
    assignment = choose_assignment(category, area)
    issue = Issue(
        category=category,
        department=assignment.department,
        operator_group_id=assignment.operator_group_id,
        area=area,
        location=point,
        address=address,
        status=Status.NEW,
        first_reported_at=now,
        last_reported_at=now,
        due_at=due_at,
        take_in_charge_due_at=take_in_charge_due_at,
    )
    first_report = ReportFacts(
        reporter_id=reporter.pk if reporter else None,
        urgency=new.urgency,
        emergency=new.emergency,
        created_at=now,
        reliability=reporter.reliability if reporter else None,
        lon=new.lon,
        lat=new.lat,
    )
    summarise_contributions(issue, [first_report], [], now=now, recentre=False)
    issue.save(force_insert=True)
    TimelineEntry.objects.create(issue=issue, kind=TimelineEntry.Kind.CREATED, status=Status.NEW)
    transaction.on_commit(public_layer_changed, robust=True)
    return issue


def subscribe(issue: Issue, reporter: Reporter | None, *, support: bool = False) -> bool:
    """Subscribe a reporter or supporter with an e-mail to the issue's updates, once.

    A confirmed person (an account, an address whose owner followed our link) follows at
    once. An address nobody confirmed gets one e-mail, with the link that confirms it (double
    opt-in), and nothing else until then: the subscription waits, inactive. `support`: the
    confirmation also counts them among the issue's supporters (confirm_reporter).
    """
    if reporter is None or not reporter.email:
        return False
    confirmed = reporter.confirmed_at is not None
    _subscription, created = Subscription.objects.get_or_create(
        issue=issue, reporter=reporter, defaults={"active": confirmed}
    )
    if created and not confirmed:
        enqueue(tasks.send_confirmation, reporter.pk, issue.pk, support)
    return True


def support_issue(
    issue: Issue,
    *,
    email: str = "",
    session_key: str = "",
    client: str = "",
    user: AbstractBaseUser | None = None,
    language: str = "it",
) -> tuple[Issue, bool]:
    """Add a "me too" to an open issue; return the issue and whether it counted as new.

    A signed-in account counts once as itself. Anyone else counts at most once per browser
    session and per client address (`client`, stored only as a keyed hash): a client that
    drops its cookie or types another e-mail adds nobody. An e-mail gets the confirmation
    e-mail; once its owner confirms, it counts as a person of its own and follows the issue.
    """
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        if issue.status == Status.CLOSED:
            raise IssueClosed(issue.pk)
        if user is not None and user.is_authenticated:
            reporter = reporter_for(Contact(), language, user)
            already = _already_counted(issue, reporter)
            row = Supporter(issue=issue, reporter=reporter)
        else:
            reporter = reporter_for(Contact(email=email), language, None) if email else None
            session_hash = _session_hash(session_key) if session_key else ""
            client_hash = _client_hash(client) if client else ""
            already = _counted_anonymously(issue, session_hash, client_hash)
            row = Supporter(
                issue=issue, reporter=reporter, session_hash=session_hash, client_hash=client_hash
            )
        if not already:
            row.save()
            TimelineEntry.objects.create(issue=issue, kind=TimelineEntry.Kind.SUPPORTED)
        if email:
            subscribe(issue, reporter, support=True)
        refresh_issue(issue)
    return issue, not already


class IssueClosed(Exception):
    """The citizen tried to support a closed issue: it must be reported again."""


def _session_hash(session_key: str) -> str:
    # Keyed with the secret: the stored value cannot be matched back to a session cookie.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()


def _client_hash(client: str) -> str:
    # Keyed with the secret: an IP address is personal data, and is never stored as such.
    return hashlib.sha256(f"{settings.SECRET_KEY}:client:{client}".encode()).hexdigest()


def _already_counted(issue: Issue, reporter: Reporter | None) -> bool:
    return reporter is not None and (
        issue.supporters.filter(reporter=reporter).exists()
        or issue.reports.filter(reporter=reporter).exists()
    )


def _counted_anonymously(issue: Issue, session_hash: str, client_hash: str) -> bool:
    keys = Q(pk__in=[])
    if session_hash:
        keys |= Q(session_hash=session_hash)
    if client_hash:
        keys |= Q(client_hash=client_hash)
    return issue.supporters.filter(keys).exists()


def confirm_reporter(reporter_id: int, support_issue_id: int | None = None) -> Reporter | None:
    """Confirm the e-mail of a row made from unverified contact details; return the person.

    Its owner followed the link we mailed (reports.notify), so the row joins the address's
    confirmed person when there is one: its reports, supports, subscriptions, ratings and
    Open311 updates move there, its name and phone fill in the person's, and the row is
    blanked. Its subscriptions start. With `support_issue_id` (a "me too"), the person now
    counts among that issue's supporters. None: the row is gone, blank (used) or an account's.
    """
    email = (
        Reporter.objects.filter(pk=reporter_id, user=None).values_list("email", flat=True).first()
    )
    if not email:
        return None
    with transaction.atomic():
        # Every row of the address, locked in one order: two links followed at the same
        # moment end in one person.
        rows = list(
            Reporter.objects.select_for_update()
            .filter(email__iexact=email, user=None)
            .order_by("pk")
        )
        row = next((r for r in rows if r.pk == reporter_id), None)
        if row is None:
            return None
        person = next((r for r in rows if r.confirmed_at is not None), row)
        touched = set(row.reports.values_list("issue_id", flat=True))
        touched |= set(row.supports.values_list("issue_id", flat=True))
        if person.pk == row.pk:
            if row.confirmed_at is None:
                row.confirmed_at = timezone.now()
                row.save(update_fields=["confirmed_at"])
                row.subscriptions.update(active=True)
            row.supports.update(client_hash="")
        else:
            _merge_into(row, person)
        if support_issue_id is not None and _add_confirmed_supporter(support_issue_id, person):
            touched.add(support_issue_id)
        open_issues = (
            Issue.objects.filter(pk__in=touched)
            .exclude(status=Status.CLOSED)
            .select_for_update(of=("self",))
            .select_related("category")
            .order_by("pk")
        )
        for issue in open_issues:
            refresh_issue(issue)
    return person


def _merge_into(row: Reporter, person: Reporter) -> None:
    """Move what a row holds to the person of the same confirmed address, and blank it."""
    row.reports.update(reporter=person)
    for support in row.supports.all():
        if person.supports.filter(issue_id=support.issue_id).exists():
            support.delete()
        else:
            Supporter.objects.filter(pk=support.pk).update(reporter=person, client_hash="")
    for subscription in row.subscriptions.all():
        mine = person.subscriptions.filter(issue_id=subscription.issue_id)
        if mine.exists():
            mine.update(active=True)  # the owner has just asked to follow it again
            subscription.delete()
        else:
            Subscription.objects.filter(pk=subscription.pk).update(reporter=person, active=True)
    rated = Rating.objects.filter(reporter=person).values("issue_id")
    Rating.objects.filter(reporter=row).exclude(issue_id__in=rated).update(reporter=person)
    for entry in TimelineEntry.objects.filter(data__source="open311", data__reporter=row.pk):
        entry.data["reporter"] = person.pk
        entry.save(update_fields=["data"])
    person.name = row.name or person.name
    person.phone = row.phone or person.phone
    person.language = row.language
    person.save(update_fields=["name", "phone", "language"])
    row.name = row.email = row.phone = ""
    row.reliability = None
    row.save(update_fields=["name", "email", "phone", "reliability"])
    # Here, not at the top: care.actions builds on this module.
    from care.actions import rescore_reporter

    rescore_reporter(person.pk)  # staff's verdicts on the moved reports now count


def _add_confirmed_supporter(issue_id: int, person: Reporter) -> bool:
    """Count a confirmed person among an open issue's supporters, once; True when added."""
    issue = Issue.objects.select_for_update().filter(pk=issue_id).exclude(status=Status.CLOSED)
    if not issue.exists():
        return False
    if (
        Supporter.objects.filter(issue_id=issue_id, reporter=person).exists()
        or Report.objects.filter(issue_id=issue_id, reporter=person).exists()
    ):
        return False
    Supporter.objects.create(issue_id=issue_id, reporter=person)
    TimelineEntry.objects.create(issue_id=issue_id, kind=TimelineEntry.Kind.SUPPORTED)
    return True


def refresh_issue(issue: Issue, *, now: dt.datetime | None = None, recentre: bool = False) -> None:
    """Recompute an issue's counters, emergency flag and priority from its rows, and save it.

    People are counted once each: reporters and supporters with the same contact are one
    person; anonymous reports and supporters count one each. With `recentre`, the issue's
    centre moves to the mean position of its reports (after a report joined, a merge or a
    split), read from the same rows.
    """
    now = now or timezone.now()
    reports, supporters = contributions(issue.pk)
    summarise_contributions(issue, reports, supporters, now=now, recentre=recentre)
    issue.save()
    transaction.on_commit(public_layer_changed, robust=True)


def summarise_contributions(
    issue: Issue,
    reports: Sequence[ReportFacts],
    supporters: Sequence[int | None],
    *,
    now: dt.datetime,
    recentre: bool,
) -> None:
    """Set an issue's counters, emergency flag and priority (and, with `recentre`, its centre)
    from its reports and its supporters' reporter ids; the caller saves it."""
    known = {r.reporter_id for r in reports if r.reporter_id} | {s for s in supporters if s}
    anonymous = sum(1 for r in reports if r.reporter_id is None) + sum(
        1 for s in supporters if s is None
    )
    if recentre and reports:
        # The centroid of a collection of points is their mean (as ST_Centroid computes it).
        issue.location = make_point(
            sum(r.lat for r in reports) / len(reports), sum(r.lon for r in reports) / len(reports)
        )
    issue.report_count = len(reports)
    issue.supporter_count = len(supporters)
    issue.emergency = any(r.emergency for r in reports)
    if reports:
        issue.last_reported_at = max(r.created_at for r in reports)
    sla_fraction = sla_elapsed_fraction(issue.first_reported_at, issue.due_at, now)
    weights = [reliability_weight(r.reliability) for r in reports]
    priority, terms = compute_priority(
        PriorityInputs(
            base_severity=issue.category.base_severity,
            urgencies=[r.urgency for r in reports],
            emergency=issue.emergency,
            people=len(known) + anonymous,
            sla_elapsed_fraction=sla_fraction,
            urgency_weights=weights,
            emergency_weight=max(
                (w for w, r in zip(weights, reports, strict=True) if r.emergency), default=1.0
            ),
        )
    )
    issue.priority = priority
    issue.priority_explained = {
        "people": len(known) + anonymous,
        # Reporters' reliability weights (1 = never qualified), see reports.priority.
        "reliability": {
            "qualified_reports": sum(1 for r in reports if r.reliability is not None),
            "lowest_weight": round(min(weights, default=1.0), 2),
        },
        "terms": [
            {"factor": t.factor, "points": round(t.points, 2), "value": t.value} for t in terms
        ],
    }


def refresh_deadline_terms(*, now: dt.datetime | None = None, batch_size: int = 2000) -> int:
    """Move the deadline term of every open issue with an SLA to `now`; return rows changed.

    Set-based: one locking read and one UPDATE per batch of `batch_size` issues (in id order),
    writing only the priority columns of the rows whose priority moved. Rows another
    transaction holds (a submission, a merge) are skipped: that transaction's refresh_issue
    recomputes the whole priority anyway, and we never overwrite its work with a stale row.
    """
    now = now or timezone.now()
    open_with_sla = Issue.objects.exclude(status=Status.CLOSED).filter(due_at__isnull=False)
    changed, after_id = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                open_with_sla.filter(pk__gt=after_id)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", "first_reported_at", "due_at", "priority", "priority_explained")[
                    :batch_size
                ]
            )
            if not rows:
                return changed
            after_id = rows[-1][0]
            moved, never_computed = [], []
            for pk, first_at, due_at, priority, explained in rows:
                elapsed = sla_elapsed_fraction(first_at, due_at, now)
                result = move_deadline_term(priority, explained, elapsed)
                if result is None:
                    never_computed.append(pk)
                elif result != (priority, explained):
                    moved.append((pk, *result))
            set_priorities(moved)
            for issue in Issue.objects.filter(pk__in=never_computed).select_related("category"):
                refresh_issue(issue, now=now)
            changed += len(moved) + len(never_computed)
            if moved:
                transaction.on_commit(public_layer_changed, robust=True)


def reporter_for(contact: Contact, language: str, user: AbstractBaseUser | None) -> Reporter | None:
    """Return an account's person, or a new row for contact details; None when anonymous.

    Contact details nobody verified (a form, an Open311 client) never match, change or join
    an existing person: each submission gets a row of its own, which joins the history of
    the address's person only when the owner of the address follows the confirmation link
    (confirm_reporter). A stranger typing someone's e-mail changes nothing of theirs.
    """
    if user is not None and user.is_authenticated:
        account, _created = Reporter.objects.get_or_create(
            user_id=user.pk,
            defaults={"email": getattr(user, "email", ""), "confirmed_at": timezone.now()},
        )
        return account
    if not contact:
        return None
    return Reporter.objects.create(
        name=contact.name,
        email=contact.email.strip().lower(),
        phone=contact.phone,
        language=language,
    )


def _first_photo_location(photos: Sequence[ProcessedPhoto]) -> Any:
    for photo in photos:
        if photo.gps is not None:
            return make_point(*photo.gps)
    return None


def _store_photo(
    report: Report, photo: ProcessedPhoto, position: int, stored_files: list[str]
) -> None:
    row = Photo(
        report=report,
        width=photo.width,
        height=photo.height,
        size_bytes=len(photo.content),
        sha256=photo.sha256,
        phash=photo.phash,
        position=position,
    )
    try:
        row.image.save("photo.jpg", ContentFile(photo.content), save=False)
    except OSError as exc:
        logger.exception("storing a photo of report %s failed", report.pk)
        raise PhotoStorageError from exc
    stored_files.append(str(row.image.name))
    row.save()
