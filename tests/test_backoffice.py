"""The back office: queue, issue page and each action, with versions and the audit log
(real PostGIS; the permission matrix is in test_backoffice_permissions.py)."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.assignment import Rule, best
from backoffice.models import AssignmentRule, AuditEntry, Role, SavedFilter, StaffProfile
from geo.models import Department
from reports.models import Issue, Report, Status, TimelineEntry
from reports.sla import deadlines
from tests.factories import INSIDE, Territory, confirm_addresses, moved

EMAIL = "mariangela.esposito@example.org"


def staff_client(role: Role, username: str = "", **profile: Any) -> Client:
    """A logged-in client of a staff member with `role` (and profile fields)."""
    user = get_user_model().objects.create_user(username or f"{role}-{len(profile)}", password="pw")
    StaffProfile.objects.create(user=user, role=role, **profile)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(territory: Territory) -> Client:
    return staff_client(Role.OPERATOR)


def report(where: tuple[float, float] = INSIDE, category: str = "pothole", **extra: Any) -> int:
    form = {"lat": where[0], "lon": where[1], "category": category}
    if category == "pothole":
        form["answers"] = {"size": "small"}
    response = APIClient().post("/api/v1/reports/", {**form, **extra}, format="json")
    assert response.status_code == 201, response.json()
    confirm_addresses()  # the citizen follows the confirmation link, if they left an e-mail
    return response.json()["issue"]


def act(client: Client, issue_id: int, action: str, **form: Any) -> str:
    """Post an action from the issue page; return the page shown after the redirect."""
    if "version" not in form:
        form["version"] = Issue.objects.get(pk=issue_id).version
    response = client.post(f"/office/issues/{issue_id}/{action}/", form, follow=True)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_operator_replies_publicly_and_notes_internally(
    territory: Territory, operator: Client
) -> None:
    issue = report(email=EMAIL)

    act(operator, issue, "reply", **{"reply-text": "Interverremo entro venerdì."})
    act(operator, issue, "note", **{"note-text": "Chiamare la ditta Rossi."})

    public = Client().get(f"/issues/{issue}/").content.decode()
    office = operator.get(f"/office/issues/{issue}/").content.decode()
    assert "Interverremo entro venerdì." in public and "Chiamare la ditta Rossi." not in public
    assert "Interverremo entro venerdì." in office and "Chiamare la ditta Rossi." in office
    assert EMAIL in office  # operators may call or write back
    report_id = Report.objects.get(issue_id=issue).pk
    assert f"/care/reports/{report_id}/qualify/" in office  # how accurate was it
    assert AuditEntry.objects.filter(action="issue.reply", object_id=str(issue)).exists()
    assert AuditEntry.objects.filter(action="issue.note", object_id=str(issue)).exists()


def test_take_in_charge_close_and_reopen_move_the_public_status(
    territory: Territory, operator: Client
) -> None:
    issue = report()

    act(operator, issue, "take")
    assert Issue.objects.get(pk=issue).status == Status.ASSIGNED
    no_text = act(operator, issue, "close", reason="fixed", text="")
    assert Issue.objects.get(pk=issue).status == Status.ASSIGNED
    assert "This field is required" in no_text
    act(operator, issue, "close", reason="fixed", text="Buca chiusa con asfalto a freddo.")
    closed = Issue.objects.get(pk=issue)
    assert (closed.status, closed.close_reason) == (Status.CLOSED, "fixed")
    assert closed.closed_at is not None and closed.taken_in_charge_at is not None
    act(operator, issue, "reopen", text="Il cittadino segnala che la buca è tornata.")

    reopened = Issue.objects.get(pk=issue)
    assert reopened.status == Status.REOPENED and reopened.closed_at is None
    audit = AuditEntry.objects.filter(object_id=str(issue)).order_by("created_at", "id")
    assert [a.action for a in audit] == [
        "issue.status.assigned",
        "issue.status.closed",
        "issue.status.reopened",
    ]
    assert audit[1].before["status"] == "assigned" and audit[1].after["status"] == "closed"


def test_two_people_editing_the_same_issue_do_not_overwrite_each_other(
    territory: Territory, operator: Client
) -> None:
    issue = report()
    seen = Issue.objects.get(pk=issue).version
    colleague = staff_client(Role.OPERATOR, department=None)

    act(colleague, issue, "close", version=seen, reason="fixed", text="Fatto.")
    html = act(
        operator, issue, "reassign", version=seen, department=territory.lighting.pk, reason="x"
    )

    assert "Someone else changed this issue" in html
    after = Issue.objects.get(pk=issue)
    assert after.department == territory.roads and after.status == Status.CLOSED


def test_reassigning_moves_the_issue_out_of_the_coordinators_queue(
    territory: Territory, operator: Client
) -> None:
    issue = report()
    roads = staff_client(Role.COORDINATOR, department=territory.roads)
    assert f'href="/office/issues/{issue}/"' in roads.get("/office/").content.decode()

    act(roads, issue, "reassign", department=territory.lighting.pk, reason="È un lampione.")

    assert Issue.objects.get(pk=issue).department == territory.lighting
    assert f'href="/office/issues/{issue}/"' not in roads.get("/office/").content.decode()
    assert roads.get(f"/office/issues/{issue}/").status_code == 404
    note = TimelineEntry.objects.get(issue_id=issue, kind="note")
    assert note.text == "È un lampione." and not note.public


def test_changing_the_category_reroutes_by_the_assignment_rules(
    territory: Territory, operator: Client
) -> None:
    east_office = Department.objects.create(code="east-office", name="East office")
    AssignmentRule.objects.create(
        category=territory.streetlight, area=territory.east, department=east_office
    )
    west_issue = report(moved(INSIDE, metres_east=-300))
    east_issue = report(moved(INSIDE, metres_east=300))
    pothole_priority = Issue.objects.get(pk=west_issue).priority

    act(operator, west_issue, "recategorise", category=territory.streetlight.pk)
    act(operator, east_issue, "recategorise", category=territory.streetlight.pk)

    # A street light's base severity is lower than a pothole's: the priority follows it.
    assert Issue.objects.get(pk=west_issue).priority < pothole_priority
    assert Issue.objects.get(pk=west_issue).department == territory.lighting
    assert Issue.objects.get(pk=east_issue).department == east_office
    new_east = report(moved(INSIDE, metres_east=500, metres_north=200), category="streetlight")
    assert Issue.objects.get(pk=new_east).department == east_office  # at submission too


def test_changing_the_category_brings_its_deadlines(territory: Territory, operator: Client) -> None:
    """A problem filed under the wrong category is due as what it is, counted from the first
    report; after a reopening, from the reopening; a closed issue keeps the deadlines it was
    judged by."""
    territory.streetlight.take_in_charge_working_days = 1
    territory.streetlight.sla_working_days = 3
    territory.streetlight.save()
    territory.pothole.sla_working_days = 20
    territory.pothole.save()
    first = report()
    reopened = report(moved(INSIDE, metres_east=400))
    closed = report(moved(INSIDE, metres_east=-400))
    for step in ("take", "close", "reopen"):
        act(operator, reopened, step, reason="fixed", text="Buca chiusa.")
    for step in ("take", "close"):
        act(operator, closed, step, reason="fixed", text="Buca chiusa.")
    # Days apart, over a weekend: each start gives other deadlines.
    nine_days_ago = timezone.now() - dt.timedelta(days=9)
    Issue.objects.filter(pk__in=[first, reopened, closed]).update(first_reported_at=nine_days_ago)
    reopening = TimelineEntry.objects.filter(issue_id=reopened, status=Status.REOPENED)
    reopening.update(created_at=timezone.now() - dt.timedelta(days=4))
    closed_before = Issue.objects.values_list("take_in_charge_due_at", "due_at").get(pk=closed)

    for issue_id in (first, reopened, closed):
        act(operator, issue_id, "recategorise", category=territory.streetlight.pk)

    issue = Issue.objects.get(pk=first)
    assert (issue.take_in_charge_due_at, issue.due_at) == deadlines(nine_days_ago, 1, 3)
    again = Issue.objects.get(pk=reopened)
    reopened_at = reopening.get().created_at
    assert (again.take_in_charge_due_at, again.due_at) == deadlines(reopened_at, 1, 3)
    assert again.due_at > issue.due_at
    assert Issue.objects.values_list("take_in_charge_due_at", "due_at").get(pk=closed) == (
        closed_before
    )


def test_the_most_specific_assignment_rule_wins() -> None:
    rules = [
        Rule(department_id=1, category_id=None, group_id=7, area_id=None, order=0),
        Rule(department_id=2, category_id=None, group_id=7, area_id=3, order=0),
        Rule(department_id=3, category_id=5, group_id=None, area_id=None, order=0),
        Rule(department_id=4, category_id=5, group_id=None, area_id=3, order=1),
        Rule(department_id=5, category_id=5, group_id=None, area_id=3, order=0),
        Rule(department_id=6, category_id=None, group_id=None, area_id=9, order=0),
    ]

    assert best(rules, category_id=5, group_id=7, area_id=3).department_id == 5
    assert best(rules, category_id=5, group_id=7, area_id=4).department_id == 3
    assert best(rules, category_id=6, group_id=7, area_id=3).department_id == 2
    assert best(rules, category_id=6, group_id=7, area_id=None).department_id == 1
    assert best(rules, category_id=6, group_id=8, area_id=9).department_id == 6
    assert best(rules, category_id=6, group_id=8, area_id=None) is None


def test_merge_and_split_from_the_issue_page(territory: Territory, operator: Client) -> None:
    first = report()
    second = report(moved(INSIDE, metres_north=400))

    act(operator, second, "merge", into=first)
    merged = Issue.objects.get(pk=second)
    assert merged.merged_into_id == first and merged.status == Status.CLOSED
    moved_report = Report.objects.filter(issue_id=first).order_by("-created_at").first()
    act(operator, first, "split", reports=[moved_report.pk])

    new_issue = Report.objects.get(pk=moved_report.pk).issue_id
    assert new_issue not in (first, second)
    unknown = act(operator, first, "merge", into=999999)
    assert "does not exist" in unknown
    assert AuditEntry.objects.filter(action="issue.merge").count() == 1
    assert AuditEntry.objects.filter(action="issue.split").count() == 1


def test_hiding_an_issue_takes_it_off_every_public_page(
    territory: Territory, operator: Client
) -> None:
    issue = report()

    act(operator, issue, "hide", **{"moderation-text": "Contiene un insulto."})

    assert Client().get(f"/issues/{issue}/").status_code == 404
    assert Client().get(f"/api/v1/issues/{issue}/").status_code == 404
    act(operator, issue, "show", **{"moderation-text": "Testo corretto."})
    assert Client().get(f"/issues/{issue}/").status_code == 200
    assert [a.action for a in AuditEntry.objects.order_by("id")][-2:] == [
        "issue.hide",
        "issue.show",
    ]


def test_queue_filters_sorts_searches_and_saves_filters(
    territory: Territory, operator: Client, django_assert_max_num_queries: Any
) -> None:
    pothole = report()
    light = report(moved(INSIDE, metres_north=300), category="streetlight")
    late = report(moved(INSIDE, metres_north=-300))
    Issue.objects.filter(pk=late).update(due_at=timezone.now() - timezone.timedelta(days=2))
    code = Report.objects.get(issue_id=pothole).tracking_code

    # Session, user, role; the filter choices (departments, categories, areas, groups); count,
    # page and the page's categories, departments and areas; saved filters; the map start;
    # bulk departments. However many issues: no query per row.
    with django_assert_max_num_queries(16):
        everything = operator.get("/office/").content.decode()
    lighting = operator.get(f"/office/?department={territory.lighting.pk}").content.decode()
    only_late = operator.get("/office/?late=on").content.decode()
    by_code = operator.get(f"/office/?q={code.replace('-', '').lower()}").content.decode()
    bad = operator.get("/office/?department=abc&sort=nonsense")

    def rows(html: str) -> set[int]:
        return {i for i in (pothole, light, late) if f'href="/office/issues/{i}/"' in html}

    assert rows(everything) == {pothole, light, late}
    assert rows(lighting) == {light}
    assert rows(only_late) == {late}
    assert rows(by_code) == {pothole}
    assert bad.status_code == 200 and rows(bad.content.decode()) == set()
    operator.post("/office/filters/", {"name": "Late", "query": "late=on"})
    assert SavedFilter.objects.get(name="Late").query == "late=on"
    assert "?late=on" in operator.get("/office/").content.decode()


def test_bulk_changes_apply_to_each_issue_in_scope(territory: Territory, operator: Client) -> None:
    first, second = report(), report(moved(INSIDE, metres_north=300))
    roads = staff_client(Role.COORDINATOR, department=territory.roads)
    light = report(moved(INSIDE, metres_north=600), category="streetlight")

    operator.post(
        "/office/bulk/", {"issues": [first, second], "action": "status", "status": "in_progress"}
    )
    roads.post(
        "/office/bulk/",
        {"issues": [first, light], "action": "assign", "department": territory.lighting.pk},
    )

    assert Issue.objects.get(pk=second).status == Status.IN_PROGRESS
    # The new department has to take it in charge: back to "assigned".
    reassigned = Issue.objects.get(pk=first)
    assert (reassigned.department, reassigned.status) == (territory.lighting, Status.ASSIGNED)
    # Not in the roads coordinator's scope: untouched, not even looked at.
    assert not AuditEntry.objects.filter(object_id=str(light), action="issue.reassign").exists()
    nothing = operator.post("/office/bulk/", {"action": "assign"}, follow=True).content.decode()
    assert "Choose the department" in nothing


def test_assignment_rules_also_choose_the_operator_group(
    territory: Territory, operator: Client
) -> None:
    north = Group.objects.create(name="URP Nord")
    AssignmentRule.objects.create(
        category=territory.pothole,
        area=territory.east,
        department=territory.roads,
        operator_group=north,
    )
    east = report(moved(INSIDE, metres_east=300))
    west = report(moved(INSIDE, metres_east=-300))
    member = get_user_model().objects.get(username__startswith="operator")
    member.groups.add(north)

    mine = operator.get("/office/?mine=on").content.decode()
    by_group = operator.get(f"/office/?operator_group={north.pk}").content.decode()

    assert Issue.objects.get(pk=east).operator_group == north
    assert Issue.objects.get(pk=west).operator_group is None
    for html in (mine, by_group):
        assert f'href="/office/issues/{east}/"' in html
        assert f'href="/office/issues/{west}/"' not in html
    assert "URP Nord" in operator.get(f"/office/issues/{east}/").content.decode()


def test_bulk_changes_leave_closed_issues_alone(territory: Territory, operator: Client) -> None:
    closed = report()
    act(operator, closed, "close", reason="fixed", text="Fatto.")

    operator.post("/office/bulk/", {"issues": [closed], "action": "status", "status": "assigned"})

    assert Issue.objects.get(pk=closed).status == Status.CLOSED  # reopened only from its page
