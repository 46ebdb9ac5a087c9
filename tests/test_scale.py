"""The hot spots bench/scale.py found: the priority refresh, the ward look-up, Open311's index."""

import datetime as dt
import re
import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bench.bare_submission import CategoryRow, bare_submission
from clustering.candidates import _NEAREST_OPEN_SQL, LOCK_SQL
from geo.geocode import NEAREST_STREET_SQL
from geo.querysets import _PLACE_SQL
from open311.serializers import requests_queryset
from reports.actions import refresh_deadline_terms
from reports.models import Issue
from reports.querysets import _CONTRIBUTIONS_SQL, _LOCK_OPEN_ISSUE_SQL
from tests.factories import INSIDE, Territory


def submit(api: APIClient, lat_offset: float = 0.0) -> Issue:
    response = api.post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0] + lat_offset,
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": {"size": "small"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Issue.objects.get(pk=response.json()["issue"])


def age_by_one_sla(issue: Issue) -> None:
    sla = issue.due_at - issue.first_reported_at
    Issue.objects.filter(pk=issue.pk).update(
        first_reported_at=issue.first_reported_at - sla, due_at=issue.due_at - sla
    )


def terms(issue: Issue) -> dict[str, float]:
    return {t["factor"]: t["points"] for t in issue.priority_explained["terms"]}


def test_priority_refresh_moves_only_the_deadline_term(
    api: APIClient, territory: Territory
) -> None:
    issue = submit(api)
    before = Issue.objects.get(pk=issue.pk)
    age_by_one_sla(issue)

    assert refresh_deadline_terms() == 1

    after = Issue.objects.get(pk=issue.pk)
    assert after.priority == pytest.approx(before.priority + 20)
    assert terms(after) == {**terms(before), "deadline": 20.0}
    assert after.priority_explained["people"] == before.priority_explained["people"]
    assert refresh_deadline_terms() == 0  # nothing moved since: nothing written


def test_priority_refresh_costs_the_same_queries_for_one_issue_or_many(
    api: APIClient, territory: Territory
) -> None:
    issues = [submit(api, lat_offset=0.001 * n) for n in range(6)]
    for issue in issues:
        age_by_one_sla(issue)

    with CaptureQueriesContext(connection) as many:
        assert refresh_deadline_terms(now=dt.datetime.now(dt.UTC)) == 6
    Issue.objects.exclude(pk=issues[0].pk).update(due_at=None)
    with CaptureQueriesContext(connection) as one:
        assert refresh_deadline_terms(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=5)) == 1

    assert len(many) == len(one)


@pytest.mark.django_db(transaction=True)
def test_priority_refresh_never_overwrites_an_issue_another_transaction_holds(
    territory: Territory,
) -> None:
    issue = submit(APIClient())
    age_by_one_sla(issue)
    before = Issue.objects.get(pk=issue.pk)
    locked, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def staff_edit() -> None:
        try:
            with transaction.atomic():
                row = Issue.objects.select_for_update().get(pk=issue.pk)
                locked.set()
                release.wait(10)
                row.report_count = 7
                row.save(update_fields=["report_count"])
        except BaseException as exc:  # handed to the test thread
            failures.append(exc)
            locked.set()
        finally:
            connection.close()

    editor = threading.Thread(target=staff_edit)
    editor.start()
    assert locked.wait(10)
    try:
        changed = refresh_deadline_terms()
    finally:
        release.set()
        editor.join(10)

    assert not failures
    assert changed == 0
    after = Issue.objects.get(pk=issue.pk)
    assert after.report_count == 7
    assert after.priority == before.priority
    assert refresh_deadline_terms() == 1  # the next run, once the lock is gone


def test_a_submission_looks_up_its_ward_once(api: APIClient, territory: Territory) -> None:
    with CaptureQueriesContext(connection) as queries:
        submit(api)

    ward_lookups = [
        q["sql"] for q in queries if "geo_area" in q["sql"] and "ST_Intersects" in q["sql"]
    ]
    assert len(ward_lookups) == 1, ward_lookups


def test_open311_list_can_walk_the_public_date_index(api: APIClient, territory: Territory) -> None:
    submit(api)
    now = dt.datetime.now(dt.UTC)
    # The query open311.views.requests runs for its default page (90 days, newest first).
    rows = (
        requests_queryset()
        .filter(first_reported_at__gte=now - dt.timedelta(days=90), first_reported_at__lte=now)
        .order_by("-first_reported_at", "-id")[:1000]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # A test table is tiny: forbid the sequential scan to see which index fits the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()

    assert "issue_public_recent" in plan, plan


@pytest.mark.skipif(
    settings.DB_PREPARE_THRESHOLD == 0, reason="prepared statements are off (threshold 0)"
)
def test_a_statement_run_again_and_again_is_planned_once_per_connection(
    territory: Territory,
) -> None:
    """DB_PREPARE_THRESHOLD: the database plans a repeated statement once (a prepared
    statement of this session), not at every run."""

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return int(cursor.fetchone()[0])

    before = prepared()
    for _ in range(settings.DB_PREPARE_THRESHOLD + 1):
        list(Issue.objects.filter(category=territory.pothole).values_list("pk"))
    assert prepared() > before


# The statements both run from the same text: compared by their text up to the first parameter.
SHARED_SQL = {
    "place": _PLACE_SQL,
    "street": NEAREST_STREET_SQL,
    "neighbourhood lock": LOCK_SQL,
    "candidates": _NEAREST_OPEN_SQL,
    "issue lock": _LOCK_OPEN_ISSUE_SQL,
    "contributions": _CONTRIBUTIONS_SQL,
}


def statements(queries: CaptureQueriesContext) -> list[str]:
    """Each statement: the name of the shared text it runs, else its verb and the table it
    writes or reads first; transaction control left out."""
    words = {name: " ".join(sql.split("%")[0].split()) for name, sql in SHARED_SQL.items()}
    found = []
    for query in queries:
        sql = " ".join(query["sql"].replace('"', "").split())
        verb = sql.split()[0]
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
            continue
        shared = [name for name, start in words.items() if sql.startswith(start)]
        table = re.search(r"(?:FROM|INTO|UPDATE)\s+(\w+)", sql)
        found.append(shared[0] if shared else f"{verb} {table[1] if table else ''}")
    return found


def test_the_bare_sql_baseline_runs_the_apis_statements(
    api: APIClient, territory: Territory
) -> None:
    """bench/scale.py's ratio compares the API with bench/bare_submission.py "on the same work":
    the same statements in the same order, to open an issue and to join one."""
    pothole = territory.pothole
    # Categories already read, as the API's catalogue keeps them.
    categories: dict[str, CategoryRow] = {
        "pothole": (pothole.pk, pothole.group_id, pothole.duplicate_radius_m, pothole.department_id)
    }
    submit(api)  # an issue to join (and the API's catalogue loaded)
    runs = {}
    for kind, api_offset, bare_offset in (("join", 0.0, 0.0), ("open", -0.004, 0.004)):
        with CaptureQueriesContext(connection) as api_queries:
            submit(api, api_offset)
        with (
            CaptureQueriesContext(connection) as bare_queries,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            bare_submission(cursor, INSIDE[0] + bare_offset, INSIDE[1], "pothole", categories)
        # The API's last statement is submit()'s own read of the issue.
        runs[kind] = (statements(api_queries)[:-1], statements(bare_queries))

    assert runs["join"][0] == runs["join"][1]
    assert runs["open"][0] == runs["open"][1]
    assert runs["join"][0] == [
        "place",
        "street",
        "neighbourhood lock",
        "candidates",
        "issue lock",
        "INSERT reports_report",
        "INSERT reports_timelineentry",
        "contributions",
        "UPDATE reports_issue",
    ]
    assert runs["open"][0][4:] == [
        "SELECT backoffice_assignmentrule",
        "INSERT reports_issue",
        "INSERT reports_timelineentry",
        "INSERT reports_report",
    ]
    assert sorted(Issue.objects.values_list("report_count", flat=True)) == [1, 1, 3]
