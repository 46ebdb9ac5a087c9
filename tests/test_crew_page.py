"""The crew's route page and its buttons: each one moves the stop and the issue together,
tells the issue's followers, and refuses what makes no sense (real PostGIS, real files)."""

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from clustering.actions import merge_issues
from reports import tasks
from reports.models import Issue, Reporter, Status, Subscription, TimelineEntry
from routing.actions import StopSuperseded, start_stop
from routing.models import Crew, CrewRoute, RoutePlan, RouteStop
from routing.planning import plan_routes
from tests.factories import INSIDE, Territory, confirm_addresses, jpeg_bytes, moved, stored_files

# Each test plans today's route and then opens today's pages: today must not move at midnight.
pytestmark = pytest.mark.usefixtures("same_day")
NAME, EMAIL, PHONE = "Mariangela Esposito", "mariangela.esposito@example.org", "+39 347 5550199"
CREW_NOTE = "Il tombino accanto è rotto, serve la ditta esterna."


@pytest.fixture
def worker(crew: Crew) -> AbstractBaseUser:
    user = get_user_model().objects.create_user("operaio", password="pw")
    crew.members.add(user)
    return user


@pytest.fixture
def phone(worker: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(worker)
    return client


def report(where: tuple[float, float], **extra: Any) -> int:
    form = {"lat": where[0], "lon": where[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post("/api/v1/reports/", {**form, **extra}, format="json")
    assert response.status_code == 201, response.json()
    confirm_addresses()  # the citizen follows the confirmation link, if they left an e-mail
    return response.json()["issue"]


def todays_route(territory: Territory, count: int = 3, **first: Any) -> CrewRoute:
    report(INSIDE, description="Buca profonda davanti alla fermata", **first)
    for i in range(1, count):
        report(moved(INSIDE, metres_north=150 * i, metres_east=80 * i))
    plan = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)
    return plan.routes.get()


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), "#557744")
    exif = image.getexif()
    exif[0x0110] = "PhoneModel X"
    exif.get_ifd(0x8825).update({1: "N", 2: (60.0, 10.0, 16.0), 3: "E", 4: (24.0, 56.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def act(phone: Client, stop: RouteStop, action: str, **form: Any) -> str:
    """Press a button on the route page; return the page shown after the redirect."""
    response = phone.post(f"/crew/stops/{stop.pk}/{action}/", form, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/crew/routes/{stop.route_id}/#stop-{stop.position}"
    return response.content.decode()


def public_entries(issue_id: int) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(issue_id=issue_id, public=True, kind="status"))


def test_a_crew_member_sees_the_ordered_route_with_navigation_and_no_personal_data(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, name=NAME, email=EMAIL, phone=PHONE)

    html = phone.get(f"/crew/routes/{route.pk}/").content.decode()

    stops = list(route.stops.order_by("position"))
    assert len(stops) == 3
    positions = [html.index(f'id="stop-{stop.position}"') for stop in stops]
    assert positions == sorted(positions)
    first = stops[0].issue.location
    assert f'href="geo:{first.y:.6f},{first.x:.6f}?q=' in html
    assert "Buca profonda davanti alla fermata" in html
    for secret in (NAME, EMAIL, PHONE):
        assert secret not in html
    assert f"/api/v1/routes/{route.pk}.gpx" in html
    assert f"/care/reports/{stops[0].issue.reports.first().pk}/qualify/" in html
    # Only one crew: its member goes straight from /crew/ to today's route.
    assert phone.get("/crew/")["Location"] == f"/crew/routes/{route.pk}/"


def test_routes_are_only_for_their_crew_and_staff(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=1)
    outsider = Client()
    outsider.force_login(get_user_model().objects.create_user("altro", password="pw"))
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("capo", password="pw", is_staff=True))
    stop = route.stops.get()

    assert Client().get(f"/crew/routes/{route.pk}/").status_code == 302  # to the login page
    assert outsider.get(f"/crew/routes/{route.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/routes/{route.pk}.gpx").status_code == 404
    assert outsider.post(f"/crew/stops/{stop.pk}/start/").status_code == 404
    assert staff.get(f"/crew/routes/{route.pk}/").status_code == 200
    assert phone.get(f"/api/v1/routes/{route.pk}.gpx").status_code == 200
    assert phone.get(f"/crew/routes/{route.pk}/sheet/").status_code == 200
    assert phone.get(f"/crew/stops/{stop.pk}/start/").status_code == 405
    assert phone.post(f"/crew/stops/{stop.pk}/explode/").status_code == 404
    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PLANNED


def test_starting_a_stop_puts_the_issue_in_progress_and_tells_its_reporter(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=1, email=EMAIL)
    stop = route.stops.get()

    html = act(phone, stop, "start")
    act(phone, stop, "start")  # a second tap changes nothing

    stop.refresh_from_db()
    issue = Issue.objects.get(pk=stop.issue_id)
    assert stop.state == RouteStop.State.IN_PROGRESS
    assert issue.status == Status.IN_PROGRESS and issue.taken_in_charge_at is not None
    assert "work started" in html
    [entry] = public_entries(issue.pk)
    assert tasks.send_issue_update(entry.pk) == 1
    assert tasks.send_issue_update(entry.pk) == 0  # a retried task sends nothing twice
    [message] = mail.outbox
    assert message.to == [EMAIL]
    assert f"/issues/{issue.pk}/" in message.body
    assert "under review" in message.body.lower()


def test_done_needs_a_photo_then_closes_the_issue_with_the_photo_stripped_and_public(
    territory: Territory, crew: Crew, phone: Client, media_root: Path
) -> None:
    route = todays_route(territory, count=1, email=EMAIL)
    stop = route.stops.get()
    files_before = set(stored_files(media_root))

    without = act(phone, stop, "done", note="fatto")
    garbage = act(phone, stop, "done", photo=SimpleUploadedFile("x.jpg", b"not an image" * 50))

    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PLANNED
    assert "Take a photo of the finished work" in without
    assert "message-error" in garbage
    assert set(stored_files(media_root)) == files_before
    assert Issue.objects.get(pk=stop.issue_id).status == Status.NEW

    act(
        phone,
        stop,
        "done",
        note=CREW_NOTE,
        photo=SimpleUploadedFile("after.jpg", photo_with_gps(), content_type="image/jpeg"),
    )

    stop.refresh_from_db()
    issue = Issue.objects.get(pk=stop.issue_id)
    assert stop.state == RouteStop.State.DONE and stop.note == CREW_NOTE
    assert issue.status == Status.CLOSED and issue.close_reason == "fixed"
    with Image.open(stop.after_photo.path) as saved:
        assert not saved.getexif()
    public_page = Client().get(f"/issues/{issue.pk}/").content.decode()
    assert stop.after_photo.url in public_page
    assert CREW_NOTE not in public_page  # the crew's note is internal
    assert TimelineEntry.objects.filter(issue=issue, public=False, text=CREW_NOTE).exists()
    again = act(phone, stop, "done", photo=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    assert "already marked" in again
    entry = public_entries(issue.pk)[-1]
    tasks.send_issue_update(entry.pk)
    assert "closed" in mail.outbox[-1].body.lower() and CREW_NOTE not in mail.outbox[-1].body


def test_cannot_fix_sends_the_issue_back_and_the_replan_leaves_it_to_the_coordinator(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=2)
    first, second = route.stops.order_by("position")

    no_reason = act(phone, first, "cannot_fix", note=CREW_NOTE)
    other_without_note = act(phone, first, "cannot_fix", reason="other")
    act(phone, first, "cannot_fix", reason="needs_equipment", note=CREW_NOTE)
    act(phone, second, "cannot_fix", reason="not_found")

    assert "Choose why" in no_reason and "short note" in other_without_note
    first.refresh_from_db()
    assert (
        first.state == RouteStop.State.CANNOT_FIX and first.cannot_fix_reason == "needs_equipment"
    )
    sent_back = Issue.objects.get(pk=first.issue_id)
    not_found = Issue.objects.get(pk=second.issue_id)
    assert sent_back.status == Status.ASSIGNED
    assert "needs other equipment" in public_entries(sent_back.pk)[-1].text
    assert (not_found.status, not_found.close_reason) == (Status.CLOSED, "not_reproducible")
    third = report(moved(INSIDE, metres_north=-200))
    replanned = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)
    planned = set(RouteStop.objects.filter(route__plan=replanned).values_list("issue", flat=True))
    assert planned == {third}


def test_a_replan_keeps_the_stop_under_way_and_the_old_page_points_to_the_new_route(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=2)
    started = route.stops.get(position=2)
    act(phone, started, "start")

    replanned = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)

    new_route = replanned.routes.get()
    carried = new_route.stops.get(issue_id=started.issue_id)
    assert carried.state == RouteStop.State.IN_PROGRESS and carried.position == 1
    old_page = phone.get(f"/crew/routes/{route.pk}/").content.decode()
    assert "This route was re-planned" in old_page
    assert f'href="/crew/routes/{new_route.pk}/"' in old_page
    assert RoutePlan.objects.get(pk=route.plan_id).superseded


def test_followers_can_stop_the_emails_with_one_click_and_no_login(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=1, email=EMAIL)
    stop = route.stops.get()
    act(phone, stop, "start")
    tasks.send_issue_update(public_entries(stop.issue_id)[-1].pk)
    [message] = mail.outbox
    subscription = Subscription.objects.get(issue_id=stop.issue_id)
    link = f"/unsubscribe/{subscription.token}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1:8000{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    confirm = Client().get(link)
    subscription.refresh_from_db()
    assert confirm.status_code == 200 and subscription.active  # a mail scanner's GET does nothing
    Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    subscription.refresh_from_db()
    assert not subscription.active
    assert Client().get("/unsubscribe/not-a-token/").status_code == 404

    act(phone, stop, "done", photo=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    assert tasks.send_issue_update(public_entries(stop.issue_id)[-1].pk) == 0
    assert len(mail.outbox) == 1


def test_a_note_too_long_is_refused_with_a_message(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    stop = todays_route(territory, count=1).stops.get()

    html = act(phone, stop, "cannot_fix", reason="no_access", note="x" * 2001)

    assert "too long" in html
    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PLANNED


def test_each_follower_is_written_to_in_their_own_language(
    territory: Territory, crew: Crew, phone: Client, settings: Any
) -> None:
    # The crew's standard phrases are written in the municipality's language, like staff replies.
    settings.LANGUAGE_CODE = "it"
    stop = todays_route(territory, count=1, email=EMAIL).stops.get()
    Reporter.objects.filter(email=EMAIL).update(language="it")
    act(phone, stop, "cannot_fix", reason="no_access", note=CREW_NOTE)

    tasks.send_issue_update(public_entries(stop.issue_id)[-1].pk)

    [message] = mail.outbox
    assert message.subject.startswith(f"Segnalazione {stop.issue_id}, ")
    assert "Stato: in esame" in message.body  # back to the department: under review
    assert "il luogo non è raggiungibile" in message.body
    assert CREW_NOTE not in message.body


def test_a_stop_whose_issue_was_merged_meanwhile_says_so_instead_of_failing(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    stop = todays_route(territory, count=2).stops.get(position=1)
    other = RouteStop.objects.exclude(pk=stop.pk).get()
    merge_issues(
        Issue.objects.get(pk=stop.issue_id), Issue.objects.get(pk=other.issue_id), actor=None
    )

    html = act(phone, stop, "cannot_fix", reason="no_access", note="chiuso")

    assert "was merged into issue" in html
    stop.refresh_from_db()
    assert stop.state == RouteStop.State.PLANNED


def test_a_replanned_route_shows_no_buttons_and_refuses_work_with_a_link_to_the_current_one(
    territory: Territory, crew: Crew, worker: AbstractBaseUser, phone: Client
) -> None:
    route = todays_route(territory, count=2)
    old = route.stops.get(position=1)
    new_route = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3).routes.get()

    old_page = phone.get(f"/crew/routes/{route.pk}/").content.decode()
    refused = act(phone, old, "start")
    act(phone, old, "cannot_fix", reason="not_found")
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")
    act(phone, old, "done", photo=photo, note=CREW_NOTE)

    assert "/crew/stops/" not in old_page  # no action buttons on the old plan
    assert "This route was re-planned: nothing was recorded" in refused
    assert f'href="/crew/routes/{new_route.pk}/"' in refused
    old.refresh_from_db()
    assert old.state == RouteStop.State.PLANNED and not old.after_photo
    assert Issue.objects.get(pk=old.issue_id).status == Status.NEW
    # The action itself refuses too, whoever calls it.
    with pytest.raises(StopSuperseded):
        start_stop(old.pk, actor=worker)
    # What was typed on the old page waits in the same issue's form on the current route.
    current = phone.get(f"/crew/routes/{new_route.pk}/").content.decode()
    new_stop = new_route.stops.get(issue_id=old.issue_id)
    assert f'id="done-note-{new_stop.pk}" name="note" rows="2" maxlength="2000">{CREW_NOTE}<' in (
        current
    )


def test_a_replanned_route_without_one_for_the_crew_says_so(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=1)
    crew.active = False
    crew.save()
    Crew.objects.create(department=territory.roads, name="Squadra B", depot=crew.depot)
    plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)

    html = phone.get(f"/crew/routes/{route.pk}/").content.decode()

    assert "Your crew has no route in the new plan." in html


def test_what_the_crew_typed_comes_back_after_a_refusal(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    stop = todays_route(territory, count=1).stops.get()
    pdf = SimpleUploadedFile("after.pdf", b"%PDF-1.4\n" + b"0" * 200, "application/pdf")

    after_pdf = act(phone, stop, "done", note=CREW_NOTE, photo=pdf)
    after_no_reason = act(phone, stop, "cannot_fix", note="Strada chiusa dai vigili")
    after_no_note = act(phone, stop, "cannot_fix", reason="other")
    reloaded = phone.get(f"/crew/routes/{stop.route_id}/").content.decode()

    assert "message-error" in after_pdf
    assert re.search(r"<details open>\s*<summary>Done</summary>", after_pdf)
    assert f'maxlength="2000">{CREW_NOTE}</textarea>' in after_pdf
    assert 'maxlength="2000">Strada chiusa dai vigili</textarea>' in after_no_reason
    assert '<option value="other" selected>' in after_no_note
    assert "<details open>" not in reloaded  # shown once, then the forms are empty again
    assert CREW_NOTE not in reloaded


def test_qualifying_a_report_comes_back_to_its_stop(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=3)
    stop = route.stops.get(position=3)
    report_id = stop.issue.reports.get().pk
    anchor = f"/crew/routes/{route.pk}/#stop-3"

    page = phone.get(f"/crew/routes/{route.pk}/").content.decode()
    response = phone.post(
        f"/care/reports/{report_id}/qualify/", {"verdict": "accurate", "next": anchor}
    )

    assert f'name="next" value="{anchor}"' in page
    assert response.status_code == 302 and response["Location"] == anchor


def test_the_distance_is_written_in_the_readers_language(
    territory: Territory, crew: Crew, phone: Client
) -> None:
    route = todays_route(territory, count=3)
    CrewRoute.objects.filter(pk=route.pk).update(distance_m=10_140)

    italian = phone.get(f"/crew/routes/{route.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    english = phone.get(f"/crew/routes/{route.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "10,1 km" in italian and "10.1 km" not in italian
    assert "10.1 km to drive" in english


def test_a_replan_carries_the_work_started_on_a_plan_stored_while_it_was_solved(
    territory: Territory, crew: Crew, phone: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan in force is read again when the new one is stored: a plan stored (and a stop
    started on it) while this one was being solved is the one replaced and carried from."""
    import routing.planning

    first = todays_route(territory, count=2)
    solve = routing.planning.solve
    meanwhile: list[RouteStop] = []

    def solve_while_another_is_stored(problem: Any) -> Any:
        plan = solve(problem)
        if not meanwhile:  # once: a colleague's plan is stored, and its first stop started
            monkeypatch.setattr(routing.planning, "solve", solve)
            other = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)
            meanwhile.append(other.routes.get().stops.get(position=1))
            act(phone, meanwhile[0], "start")
        return plan

    monkeypatch.setattr(routing.planning, "solve", solve_while_another_is_stored)
    last = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)

    assert RoutePlan.objects.filter(superseded=False).get() == last
    assert first.stops.filter(state=RouteStop.State.IN_PROGRESS).count() == 0
    carried = last.routes.get().stops.get(issue_id=meanwhile[0].issue_id)
    assert carried.state == RouteStop.State.IN_PROGRESS
