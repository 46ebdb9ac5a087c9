"""Forwarding to an external body through a signed link, ready replies, and moderation
(real PostGIS, real files)."""

import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from backoffice import tasks
from backoffice.forwarding import forward_issue, signed_link
from backoffice.models import (
    AuditEntry,
    Forwarding,
    PhotoOriginal,
    ResponseTemplate,
    Role,
    StaffProfile,
)
from backoffice.moderation import Box, black_out
from geo.models import ExternalBody
from reports.models import Issue, Photo, Report, Status, TimelineEntry
from tests.factories import INSIDE, Territory, jpeg_bytes
from tests.test_backoffice import act, report

ROME = ZoneInfo("Europe/Rome")
NAME, EMAIL = "Mariangela Esposito", "mariangela.esposito@example.org"


@pytest.fixture
def operator(territory: Territory) -> Client:
    user = get_user_model().objects.create_user("urp", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def water(territory: Territory) -> ExternalBody:
    return ExternalBody.objects.create(
        code="acqua",
        name="Acquedotto",
        kind="utility",
        email="guasti@acquedotto.example",
        response_days=3,
    )


def external_path(forwarding: Forwarding) -> str:
    return signed_link(forwarding).removeprefix("http://127.0.0.1:8000")


def test_the_body_answers_through_its_link_and_the_issue_comes_back(
    territory: Territory, operator: Client, water: ExternalBody
) -> None:
    issue = report(name=NAME, email=EMAIL, description="Perdita d'acqua dal tombino")

    act(operator, issue, "forward", body=water.pk, message="Perdita dalla condotta, verificate.")

    forwarding = Forwarding.objects.get()
    assert Issue.objects.get(pk=issue).status == Status.WAITING_EXTERNAL
    assert forwarding.due_at > timezone.now() and not forwarding.late
    assert tasks.send_forwarding(forwarding.pk) is True
    assert tasks.send_forwarding(forwarding.pk) is False  # sent once
    [message] = mail.outbox
    assert message.to == [water.email]
    link = re.search(r"http://\S+/external/\S+/", message.body).group(0)
    path = link.removeprefix("http://127.0.0.1:8000")
    page = Client().get(path).content.decode()
    assert "Perdita d&#x27;acqua dal tombino" in page or "Perdita d'acqua dal tombino" in page
    assert NAME not in page and EMAIL not in page  # the body gets the problem, not the people

    Client(enforce_csrf_checks=False).post(path, {"answer": "Squadra inviata.", "resolved": "1"})

    forwarding.refresh_from_db()
    assert forwarding.resolved and forwarding.answer == "Squadra inviata."
    assert Issue.objects.get(pk=issue).status == Status.ASSIGNED
    answer = TimelineEntry.objects.get(issue_id=issue, kind="external_answer")
    assert not answer.public and answer.text == "Squadra inviata."
    again = Client().post(path, {"answer": "Di nuovo"}, follow=True).content.decode()
    assert "already closed" in again
    assert "Squadra inviata." not in Client().get(f"/issues/{issue}/").content.decode()
    act(operator, issue, "close", reason="forwarded", text="Risolto dall'acquedotto.")
    assert Issue.objects.get(pk=issue).status == Status.CLOSED


def test_a_forged_or_tampered_link_shows_nothing(
    territory: Territory, operator: Client, water: ExternalBody
) -> None:
    issue = report()
    act(operator, issue, "forward", body=water.pk, message="Verificate.")
    path = external_path(Forwarding.objects.get())

    assert Client().get(path[:-3] + "xx/").status_code == 404
    assert Client().get("/external/nonsense/").status_code == 404
    assert Client().post("/external/nonsense/", {"answer": "x"}).status_code == 404


def test_forwarding_refuses_a_body_without_email_and_a_past_deadline(
    territory: Territory, operator: Client, water: ExternalBody
) -> None:
    issue = report()
    no_email = ExternalBody.objects.get(code="gas-co")

    html = act(operator, issue, "forward", body=no_email.pk, message="x")
    past = act(operator, issue, "forward", body=water.pk, message="x", due="2020-01-01")
    bad_date = act(operator, issue, "forward", body=water.pk, message="x", due="31/02/2026")

    assert "has no e-mail address" in html
    assert "deadline must be in the future" in past
    assert "valid date" in bad_date
    assert not Forwarding.objects.exists()
    assert Issue.objects.get(pk=issue).status == Status.NEW


def test_a_late_body_is_late_on_its_own_clock(
    territory: Territory, operator: Client, water: ExternalBody
) -> None:
    issue = report()
    act(operator, issue, "forward", body=water.pk, message="x")
    Forwarding.objects.update(due_at=timezone.now() - timezone.timedelta(hours=1))

    page = operator.get(f"/office/issues/{issue}/").content.decode()

    assert Forwarding.objects.get().late and "badge-late" in page
    due = Issue.objects.get(pk=issue).due_at
    assert due is not None and due > timezone.now()  # the department's own SLA is untouched


def test_the_bodys_answer_time_counts_working_days_from_the_local_day(
    territory: Territory, water: ExternalBody, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = report()
    # 00:30 on Saturday in Rome is still Friday in UTC: Friday is not one of the body's days.
    saturday = dt.datetime(2026, 12, 19, 0, 30, tzinfo=ROME)
    monkeypatch.setattr(timezone, "now", lambda: saturday.astimezone(dt.UTC))

    forwarding = forward_issue(issue, actor=None, body=water, message="Verificate.")

    # Three working days: Mon 21, Tue 22, Wed 23.
    assert forwarding.due_at == dt.datetime(2026, 12, 23, 0, 30, tzinfo=ROME)


def test_ready_replies_are_offered_by_category(territory: Territory, operator: Client) -> None:
    ResponseTemplate.objects.create(
        titles={"it": "Buca chiusa"},
        category=territory.pothole,
        texts={"it": "Abbiamo chiuso la buca.", "en": "We filled the pothole."},
    )
    ResponseTemplate.objects.create(
        titles={"it": "Lampione"},
        category=territory.streetlight,
        texts={"it": "Lampione riparato."},
    )
    issue = report()

    page = operator.get(f"/office/issues/{issue}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "We filled the pothole." in page and "Lampione riparato." not in page


def test_black_out_covers_the_box_and_nothing_else() -> None:
    content = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(content, "JPEG", quality=95)

    out = Image.open(io.BytesIO(black_out(content.getvalue(), [Box(0.5, 0.0, 1.0, 0.5)])))

    assert out.getpixel((150, 20))[0] < 20  # inside: black
    assert out.getpixel((50, 80))[0] > 235  # outside: still white
    with pytest.raises(ValueError):
        Box(0.5, 0.5, 0.4, 0.9)


def test_moderators_redact_a_photo_and_keep_the_original_for_staff(
    territory: Territory, operator: Client
) -> None:
    response = APIClient().post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": '{"size": "small"}',
            "description": "La targa AB123CD è dell'auto parcheggiata sopra la buca",
            "photo": [io.BytesIO(jpeg_bytes((640, 480), "#ffffff"))],
        },
        format="multipart",
    )
    issue = response.json()["issue"]
    photo = Photo.objects.get()
    before = photo.image.name

    operator.post(f"/office/photos/{photo.pk}/redact/", {"box": ["0,0,50,50"]})
    report_row = Report.objects.get()
    operator.post(
        f"/office/reports/{report_row.pk}/description/",
        {"description": "L'auto parcheggiata sopra la buca"},
    )

    photo.refresh_from_db()
    assert photo.image.name != before
    with Image.open(photo.image.path) as public:
        assert public.getpixel((10, 10))[0] < 20
    original = PhotoOriginal.objects.get(photo=photo)
    assert storages["private"].exists(original.name)
    assert operator.get(f"/office/photos/{photo.pk}/original/").status_code == 200
    assert Client().get(f"/office/photos/{photo.pk}/original/").status_code == 302
    public_page = Client().get(f"/issues/{issue}/").content.decode()
    assert "AB123CD" not in public_page and "L&#x27;auto parcheggiata" in public_page
    edit = AuditEntry.objects.get(action="report.edit_description")
    assert "AB123CD" in edit.before["description"]  # the old text, for staff, as policy allows
    bad = operator.post(f"/office/photos/{photo.pk}/redact/", {"box": ["90,0,10,50"]}, follow=True)
    assert "percentages" in bad.content.decode()


def test_a_hidden_report_leaves_the_public_page(territory: Territory, operator: Client) -> Any:
    issue = report(description="Mio cugino Mario Rossi abita qui")
    report_row = Report.objects.get(issue_id=issue)

    operator.post(f"/office/reports/{report_row.pk}/hide/")

    assert Report.objects.get(pk=report_row.pk).hidden
    assert "Mario Rossi" not in Client().get(f"/issues/{issue}/").content.decode()
