"""Reporter reliability: staff's verdicts on reports, the score, its weight in the priority,
who may qualify, and the reporter's own page (never anything public)."""

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import AuditEntry, Role, StaffProfile
from care import reliability
from care.actions import qualify_report
from care.models import Qualification
from reports import tasks
from reports.models import Issue, Report, Reporter, TimelineEntry
from reports.priority import PriorityInputs, compute_priority
from reports.workflow import reply_publicly
from routing.models import Crew, CrewRoute, RoutePlan, RouteStop
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import report, staff_client

NAME, EMAIL, PHONE = "Mariangela Esposito", "mariangela.esposito@example.org", "+39 333 1234567"


def test_score_starts_neutral_and_moves_with_each_verdict() -> None:
    assert reliability.score([]) is None
    assert reliability.weight(None) == 1.0
    assert reliability.score(["fake"]) == pytest.approx(0.4667, abs=1e-4)
    assert reliability.score(["fake"] * 3) == pytest.approx(0.28)
    assert reliability.score(["accurate"] * 5) == pytest.approx(0.9143, abs=1e-4)
    assert reliability.score(["wrong_category"]) > reliability.score(["exaggerated"])  # type: ignore[operator]
    assert reliability.weight(reliability.score(["accurate"] * 5)) == pytest.approx(1.306, abs=1e-3)


def test_priority_weighs_urgency_and_emergency_by_reliability() -> None:
    plain = PriorityInputs(
        base_severity=3, urgencies=[5], emergency=True, people=1, sla_elapsed_fraction=None
    )
    doubtful = PriorityInputs(
        base_severity=3,
        urgencies=[5],
        emergency=True,
        people=1,
        sla_elapsed_fraction=None,
        urgency_weights=[0.5],
        emergency_weight=0.5,
    )

    assert compute_priority(plain)[0] == 30 + 20 + 40
    score, terms = compute_priority(doubtful)
    # Urgency 5 pulled half-way to the neutral 3 is 4: (4 - 1) x 5 = 15; the alarm counts 20.
    assert score == 30 + 15 + 20
    assert {t.factor: t.value for t in terms}["urgency"] == 4.0


def staff(role: Role, username: str, **profile: Any) -> Client:
    user = get_user_model().objects.create_user(username, password="pw")
    StaffProfile.objects.create(user=user, role=role, **profile)
    client = Client()
    client.force_login(user)
    return client


def crew_member_with(issue_id: int, territory: Territory) -> Client:
    crew = Crew.objects.create(
        department=territory.roads, name="Squadra A", depot=territory.roads.depots.get()
    )
    member = get_user_model().objects.create_user("operaio", password="pw")
    crew.members.add(member)
    plan = RoutePlan.objects.create(department=territory.roads, date=timezone.localdate())
    route = CrewRoute.objects.create(plan=plan, crew=crew)
    now = timezone.now()
    RouteStop.objects.create(
        route=route, issue_id=issue_id, position=1, arrives_at=now, departs_at=now
    )
    client = Client()
    client.force_login(member)
    return client


def test_qualifying_a_report_rescores_its_reporter_and_the_priority(territory: Territory) -> None:
    first = report(email=EMAIL, urgency=5)
    second = report(moved(INSIDE, metres_north=300), email=EMAIL, urgency=5)
    before = Issue.objects.get(pk=second).priority
    operator = staff_client(Role.OPERATOR)
    fake = Report.objects.get(issue_id=first)

    response = operator.post(f"/care/reports/{fake.pk}/qualify/", {"verdict": "fake"})
    assert response.status_code == 302
    operator.post(f"/care/reports/{fake.pk}/qualify/", {"verdict": "exaggerated"})

    assert Qualification.objects.get(report=fake).verdict == "exaggerated"  # one row, changed
    reporter = Reporter.objects.get(email=EMAIL)
    assert reporter.reliability == pytest.approx(reliability.score(["exaggerated"]))
    after = Issue.objects.get(pk=second)
    assert after.priority < before
    assert after.priority_explained["reliability"]["qualified_reports"] == 1
    assert after.priority_explained["reliability"]["lowest_weight"] == pytest.approx(0.81)
    notes = TimelineEntry.objects.filter(issue_id=first, data__has_key="qualification")
    assert notes.count() == 2 and not notes.filter(public=True).exists()
    assert AuditEntry.objects.filter(action="report.qualify", object_id=str(fake.pk)).count() == 2


def test_who_may_qualify_a_report(territory: Territory) -> None:
    issue = report(email=EMAIL)
    path = f"/care/reports/{Report.objects.get(issue_id=issue).pk}/qualify/"
    other_issue = report(moved(INSIDE, metres_north=300))
    other_path = f"/care/reports/{Report.objects.get(issue_id=other_issue).pk}/qualify/"
    crew = crew_member_with(issue, territory)

    assert Client().post(path, {"verdict": "fake"}).status_code == 302  # to the login page
    lighting = staff_client(Role.COORDINATOR, department=territory.lighting)
    assert lighting.post(path, {"verdict": "fake"}).status_code == 404  # not in its scope
    manager = staff_client(Role.MANAGER)
    assert manager.post(path, {"verdict": "fake"}).status_code == 403
    assert not Qualification.objects.exists()
    assert crew.post(other_path, {"verdict": "fake"}).status_code == 404  # not on its routes
    assert crew.post(path, {"verdict": "lies"}).status_code == 302  # back with a message
    done = crew.post(path, {"verdict": "accurate", "next": "/crew/"})
    assert done.status_code == 302 and done["Location"] == "/crew/"
    roads = staff(Role.COORDINATOR, "capo-strade", department=territory.roads)
    away = roads.post(path, {"verdict": "wrong_category", "next": "https://evil.example/"})
    assert away["Location"] == f"/office/issues/{issue}/"
    assert Qualification.objects.get().verdict == "wrong_category"


def test_reporter_page_explains_reliability_privately(territory: Territory) -> None:
    issue = report(name=NAME, email=EMAIL, phone=PHONE)
    qualify_report(Report.objects.get(issue_id=issue).pk, None, "fake")
    entry = reply_publicly(issue, actor=None, text="Sopralluogo fatto.")
    mail.outbox.clear()
    tasks.send_issue_update(entry.pk)
    link = re.search(r"http://127\.0\.0\.1:8000(/care/me/\S+/)", mail.outbox[0].body)
    assert link is not None

    page = Client().get(link.group(1))

    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    assert "Your reliability is 47%" in html and "Fake: 1" in html
    assert Report.objects.get(issue_id=issue).tracking_code in html
    for secret in (NAME, EMAIL, PHONE):
        assert secret not in html
    public = Client().get(f"/issues/{issue}/").content.decode()
    api = APIClient().get(f"/api/v1/issues/{issue}/").content.decode()
    for text in (public, api):
        assert "fake" not in text.lower() and "reliab" not in text.lower()


def test_the_qualify_partial_shows_the_current_verdict(territory: Territory) -> None:
    issue = report()
    target = Report.objects.get(issue_id=issue)
    qualify_report(target.pk, None, "exaggerated")
    request = RequestFactory().get(f"/office/issues/{issue}/")

    html = Template("{% load care %}{% qualify_form report %}").render(
        Context({"report": target, "request": request})
    )

    assert f'action="/care/reports/{target.pk}/qualify/"' in html
    assert '<option value="exaggerated" selected>' in html
    assert f'value="/office/issues/{issue}/"' in html


def test_reliability_is_kept_when_an_old_issue_is_recomputed(territory: Territory) -> None:
    issue = report(email=EMAIL, urgency=5)
    qualify_report(Report.objects.get(issue_id=issue).pk, None, "fake")
    expected = Issue.objects.get(pk=issue).priority

    tasks.refresh_open_priorities()

    refreshed = Issue.objects.get(pk=issue)
    assert refreshed.priority == pytest.approx(expected, abs=0.5)  # only the deadline term moves
    assert refreshed.priority_explained["reliability"]["qualified_reports"] == 1
