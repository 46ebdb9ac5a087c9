"""Build the demo city in the database: territory, offices, catalogue and two months of reports.

Reports go through reports.actions.submit_report and reports.photos.process_upload, the same
path a citizen's submission takes; afterwards their dates are moved into the past, because
the demo is history. Last, the open data is published, as the nightly job would.
"""

import datetime as dt
import random
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.importer import import_roads, load_territory
from geo.models import Department, Depot, ExternalBody, Municipality, RoadSegment
from geo.osm import read_extract
from geo.units import make_point
from insights.actions import publish_open_data
from reports import answers
from reports.actions import Contact, NewReport, refresh_issue, submit_report
from reports.demo.catalog import BODIES, DEPARTMENTS, GROUPS
from reports.demo.categories import CATEGORIES
from reports.demo.history import Outcome, PlannedReport, Street, plan_outcome, plan_reports
from reports.demo.pictures import demo_photo
from reports.models import Category, CategoryGroup, Issue, Question, Report, Status, TimelineEntry
from reports.photos import ProcessedPhoto, process_upload
from reports.sla import add_working_days
from reports.texts import entry_fields
from routing.models import Crew

DEMO_EXTRACT = Path(settings.BASE_DIR) / "fixtures" / "osm" / "helsinki.osm.pbf"
MUNICIPALITY_NAME = "Helsinki (demo)"
DEFAULT_REPORTS = 300
SEED = 2026
PHOTO_THREADS = 4  # Pillow releases the GIL while it encodes and decodes


@dataclass(frozen=True)
class DemoSummary:
    municipality: str
    areas: int
    road_segments: int
    departments: int
    crews: int
    categories: int
    reports: int
    issues: int
    closed_issues: int
    photos: int
    emergencies: int
    open_data_issues: int
    seconds: float


def demo_needed() -> bool:
    """Tell whether the database is empty enough for the demo: no territory, no catalogue."""
    return not (
        Municipality.objects.exists()
        or Category.objects.exists()
        or Department.objects.exists()
        or Report.objects.exists()
    )


def load_demo(
    *, path: Path = DEMO_EXTRACT, reports: int = DEFAULT_REPORTS, seed: int = SEED
) -> DemoSummary:
    """Create the whole demo city in one transaction (all or nothing); see the module doc.

    Precondition: demo_needed(); the caller checks it.
    """
    started = time.monotonic()
    now = timezone.localtime()
    with transaction.atomic():
        extract = read_extract(path)
        municipality = load_territory(path, name=MUNICIPALITY_NAME, extract=extract)
        import_roads(path, extract)
        bodies = _create_bodies()
        departments = _create_departments(bodies)
        categories = _create_catalogue(departments, bodies)
        _create_office_settings()
        plans = plan_reports(_streets(), list(CATEGORIES), count=reports, now=now, seed=seed)
        photos = _process_photos(plans)
        filed = [
            (submit_report(_new_report(plan, categories[plan.category.code], shots)), plan)
            for plan, shots in zip(plans, photos, strict=True)
        ]
        _rewrite_history(filed, random.Random(seed + 1), now)
    # Once the history is committed: /stats/ links to the open data, which the nightly job
    # would otherwise publish only at 03:30 (404 until then on a fresh `make run`).
    release = publish_open_data()
    return DemoSummary(
        municipality=municipality.name,
        areas=municipality.areas.count(),
        road_segments=RoadSegment.objects.count(),
        departments=Department.objects.count(),
        crews=Crew.objects.count(),
        categories=Category.objects.count(),
        reports=Report.objects.count(),
        issues=Issue.objects.count(),
        closed_issues=Issue.objects.filter(status=Status.CLOSED).count(),
        photos=sum(len(shots) for shots in photos),
        emergencies=Issue.objects.filter(emergency=True).count(),
        open_data_issues=release.issue_count,
        seconds=round(time.monotonic() - started, 1),
    )


def _create_office_settings() -> None:
    """Escalation chains for every group (seed 002's example) and a few ready replies."""
    # Imported here: the demo is the only place reports sets up the care and office apps.
    from backoffice.models import ResponseTemplate
    from care.models import Deadline, EscalationLevel

    for group in CategoryGroup.objects.all():
        EscalationLevel.objects.bulk_create(
            [
                EscalationLevel(
                    group=group,
                    deadline=Deadline.TAKE_IN_CHARGE,
                    after_working_days=0,
                    name="Ufficio",
                ),
                EscalationLevel(
                    group=group, deadline=Deadline.CLOSE, after_working_days=0, name="Ufficio"
                ),
                EscalationLevel(
                    group=group,
                    deadline=Deadline.CLOSE,
                    after_working_days=2,
                    name="Controllo di gestione",
                    email="controllo@comune.example",
                ),
                EscalationLevel(
                    group=group,
                    deadline=Deadline.CLOSE,
                    after_working_days=5,
                    name="Direzione generale",
                    email="direzione@comune.example",
                ),
            ]
        )
    ResponseTemplate.objects.bulk_create(
        [
            ResponseTemplate(
                titles={"it": "Presa in carico", "en": "Taken in hand"},
                texts={
                    "it": "Abbiamo preso in carico la segnalazione: una squadra interverrà "
                    "appena possibile. Grazie per averci avvisato.",
                    "en": "We have taken the report in hand: a crew will come as soon as "
                    "possible. Thank you for letting us know.",
                },
            ),
            ResponseTemplate(
                titles={"it": "Risolto", "en": "Fixed"},
                status=Status.CLOSED,
                texts={
                    "it": "Il problema è stato risolto. Grazie per la segnalazione.",
                    "en": "The problem has been fixed. Thank you for reporting it.",
                },
            ),
            ResponseTemplate(
                titles={"it": "Non di competenza", "en": "Not the municipality's"},
                status=Status.CLOSED,
                texts={
                    "it": "Il problema non è di competenza del Comune: lo abbiamo inoltrato "
                    "all'ente competente.",
                    "en": "This is not the municipality's to fix: we have forwarded it to the "
                    "competent body.",
                },
            ),
        ]
    )


def _create_bodies() -> dict[str, ExternalBody]:
    return {
        spec.code: ExternalBody.objects.create(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            email=spec.email,
            phone=spec.phone,
            website=spec.website,
            response_days=spec.response_days,
        )
        for spec in BODIES
    }


def _create_departments(bodies: dict[str, ExternalBody]) -> dict[str, Department]:
    departments = {}
    for spec in DEPARTMENTS:
        department = Department.objects.create(
            code=spec.code,
            name=spec.name,
            email=spec.email,
            contractor=bodies.get(spec.contractor),
            emergency_contact_name=spec.emergency_contact_name,
            emergency_email=spec.emergency_email,
            emergency_phone=spec.emergency_phone,
        )
        for depot_spec in spec.depots:
            location, street = _on_network(*depot_spec.near)
            depot = Depot.objects.create(
                department=department, name=depot_spec.name, address=street, location=location
            )
            for crew in depot_spec.crews:
                Crew.objects.create(department=department, name=crew, depot=depot)
        departments[spec.code] = department
    return departments


def _on_network(lat: float, lon: float) -> tuple[Point, str]:
    """Return the junction of the drivable network nearest to (lat, lon), and its street."""
    segment = (
        RoadSegment.objects.filter(drivable=True)
        .annotate(distance=Distance("geometry", make_point(lat, lon)))
        .order_by("distance", "pk")
        .first()
    )
    if segment is None:
        return make_point(lat, lon), ""
    start_lon, start_lat = segment.geometry.coords[0]
    return make_point(start_lat, start_lon), segment.name


def _create_catalogue(
    departments: dict[str, Department], bodies: dict[str, ExternalBody]
) -> dict[str, Category]:
    groups = {
        spec.code: CategoryGroup.objects.create(
            code=spec.code, name_it=spec.name_it, name_en=spec.name_en, color=spec.color, order=i
        )
        for i, spec in enumerate(GROUPS)
    }
    categories = {}
    for order, spec in enumerate(CATEGORIES):
        category = Category.objects.create(
            code=spec.code,
            group=groups[spec.group],
            name_it=spec.name_it,
            name_en=spec.name_en,
            description_it=spec.description_it,
            description_en=spec.description_en,
            keywords=spec.keywords,
            department=departments[spec.department] if spec.department else None,
            base_severity=spec.base_severity,
            sla_working_days=spec.sla_working_days,
            duplicate_radius_m=spec.duplicate_radius_m,
            match_whole_group=spec.match_whole_group,
            handled_by_municipality=spec.department is not None,
            redirect_body=bodies.get(spec.redirect_body),
            redirect_instructions_it=spec.redirect_it,
            redirect_instructions_en=spec.redirect_en,
            order=order,
        )
        Question.objects.bulk_create(
            Question(
                category=category,
                code=q.code,
                label_it=q.label_it,
                label_en=q.label_en,
                kind=q.kind,
                required=q.required,
                choices=[{"key": key, "it": it, "en": en} for key, it, en in q.choices],
                order=i,
            )
            for i, q in enumerate(spec.questions)
        )
        categories[spec.code] = category
    return categories


def _streets() -> list[Street]:
    rows = (
        RoadSegment.objects.filter(drivable=True)
        .exclude(name="")
        .order_by("pk")
        .values_list("name", "geometry", "length_m")
    )
    return [
        Street(name, tuple((lon, lat) for lon, lat in geometry.coords), length_m)
        for name, geometry, length_m in rows
    ]


def _process_photos(plans: list[PlannedReport]) -> list[list[ProcessedPhoto]]:
    """Draw and process every planned photo, in threads; the i-th list is the i-th plan's."""
    jobs = [(plan.category.scene, seed) for plan in plans for seed in plan.photo_seeds]
    with ThreadPoolExecutor(PHOTO_THREADS) as pool:
        processed = iter(list(pool.map(lambda job: _photo(*job), jobs)))
    return [[next(processed) for _ in plan.photo_seeds] for plan in plans]


def _photo(scene: str, seed: int) -> ProcessedPhoto:
    return process_upload(demo_photo(scene, random.Random(seed)))


def _new_report(plan: PlannedReport, category: Category, photos: list[ProcessedPhoto]) -> NewReport:
    specs = [
        answers.QuestionSpec(q.code, q.kind, q.required, tuple(key for key, _, _ in q.choices))
        for q in plan.category.questions
    ]
    name, email, phone = plan.contact
    return NewReport(
        lat=plan.lat,
        lon=plan.lon,
        category=category,
        description=plan.description,
        # Through the same validation as a citizen's form: the demo must be valid data.
        answers=answers.validate_answers(specs, plan.answers),
        urgency=plan.urgency,
        emergency=plan.emergency,
        channel=plan.channel,
        contact=Contact(name=name, email=email, phone=phone),
        language=plan.language,
        photos=photos,
    )


def _rewrite_history(
    filed: list[tuple[Report, PlannedReport]], rng: random.Random, now: dt.datetime
) -> None:
    """Move reports, issues and timelines to the planned dates; decide each issue's fate."""
    reported_at: dict[int, dt.datetime] = {}
    by_issue: dict[int, list[dt.datetime]] = defaultdict(list)
    for report, plan in filed:
        Report.objects.filter(pk=report.pk).update(
            created_at=plan.created_at, updated_at=plan.created_at
        )
        reported_at[report.pk] = plan.created_at
        by_issue[report.issue_id].append(plan.created_at)
    issues = Issue.objects.filter(pk__in=by_issue).select_related("category", "department")
    for issue in issues.order_by("pk"):
        first, last = min(by_issue[issue.pk]), max(by_issue[issue.pk])
        for entry in issue.timeline.all():
            moment = reported_at.get(entry.data.get("report"), first)
            TimelineEntry.objects.filter(pk=entry.pk).update(created_at=moment)
        sla_days = issue.category.sla_working_days
        outcome = plan_outcome(first, sla_days, rng, now)
        _record_outcome(issue, outcome)
        touched = outcome.closed_at or outcome.started_at or outcome.taken_in_charge_at or last
        Issue.objects.filter(pk=issue.pk).update(
            first_reported_at=first,
            last_reported_at=last,
            created_at=first,
            updated_at=touched,
            due_at=add_working_days(first, sla_days, settings.LOCAL_HOLIDAYS),
            status=outcome.status,
            close_reason=outcome.close_reason,
            closed_at=outcome.closed_at,
            taken_in_charge_at=outcome.taken_in_charge_at,
        )
    for issue in Issue.objects.exclude(status=Status.CLOSED).select_related("category"):
        refresh_issue(issue, now=now)  # the deadline term depends on the new dates


def _record_outcome(issue: Issue, outcome: Outcome) -> None:
    """Add the public timeline entries that tell what the office did, at their moments."""
    department = issue.department.name if issue.department else ""
    entries: list[tuple[dt.datetime | None, TimelineEntry]] = [
        (
            outcome.taken_in_charge_at,
            TimelineEntry(
                kind=TimelineEntry.Kind.ASSIGNED,
                status=Status.ASSIGNED,
                **entry_fields(
                    lambda: _("Taken in charge by %(department)s.") % {"department": department},
                    {"department": issue.department_id},
                ),
            ),
        ),
        (
            outcome.started_at,
            TimelineEntry(kind=TimelineEntry.Kind.STATUS, status=Status.IN_PROGRESS),
        ),
        (
            outcome.closed_at,
            TimelineEntry(
                kind=TimelineEntry.Kind.STATUS,
                status=Status.CLOSED,
                close_reason=outcome.close_reason,
                text=outcome.text,
            ),
        ),
    ]
    for moment, entry in entries:
        if moment is None:
            continue
        entry.issue = issue
        entry.public = True
        entry.save()
        # created_at is auto_now_add: only an update can put the entry in the past.
        TimelineEntry.objects.filter(pk=entry.pk).update(created_at=moment)
