"""The switchboard's intake files each call or e-mail once: the same form sent again (a double
click, a browser's retry) and the same e-mail draft filed by two operators give one report
(real PostGIS, concurrent requests included). And the form reads what an Italian types."""

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from backoffice.models import Draft, Role, StaffProfile
from outbox.models import OutboxMessage
from reports.models import Issue, Report
from tests.factories import INSIDE, Territory, make_territory

FORM = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "name": "Giuseppe Verdi"}


def operator(username: str = "centralino") -> Client:
    user = get_user_model().objects.create_user(username, password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


def form_key(client: Client, query: str = "") -> str:
    """The hidden one-time key of the intake form, as the browser gets it."""
    html = client.get(f"/office/intake/{query}").content.decode()
    found = re.search(r'name="key" value="([0-9a-f]+)"', html)
    assert found, "the form carries no key"
    return found.group(1)


def e_mail_draft() -> Draft:
    return Draft.objects.create(
        channel=Draft.Channel.EMAIL,
        subject="Buca in via Roma",
        text="C'è una buca enorme.",
        sender_email="lettore@example.org",
    )


def tracking_code_mails() -> int:
    return OutboxMessage.objects.filter(task__endswith="send_tracking_code").count()


def test_the_same_form_sent_twice_files_one_report_and_both_land_on_it(
    territory: Territory,
) -> None:
    switchboard = operator()
    key = form_key(switchboard)

    first = switchboard.post("/office/intake/submit/", {**FORM, "key": key})
    again = switchboard.post("/office/intake/submit/", {**FORM, "key": key})
    other = switchboard.post("/office/intake/submit/", {**FORM, "key": form_key(switchboard)})

    assert first.status_code == again.status_code == other.status_code == 302
    assert again["Location"] == first["Location"] != other["Location"]
    assert Report.objects.count() == 2  # the second call is another caller: it counts
    assert Issue.objects.get().report_count == 2


def test_a_form_with_a_forged_key_files_nothing_and_asks_again(territory: Territory) -> None:
    response = operator().post("/office/intake/submit/", {**FORM, "key": "<script>"})

    assert response.status_code == 400
    assert "nothing was filed" in response.content.decode()
    assert not Report.objects.exists()


def test_a_draft_filed_by_a_colleague_is_refused_naming_its_report(territory: Territory) -> None:
    draft = e_mail_draft()
    anna, bruno = operator("anna"), operator("bruno")
    anna_key, bruno_key = (
        form_key(anna, f"?draft={draft.pk}"),
        form_key(bruno, f"?draft={draft.pk}"),
    )
    form = {**FORM, "draft": draft.pk, "channel": "email", "email": "lettore@example.org"}

    filed = anna.post("/office/intake/submit/", {**form, "key": anna_key})
    refused = bruno.post("/office/intake/submit/", {**form, "key": bruno_key})
    retried = anna.post("/office/intake/submit/", {**form, "key": anna_key})

    report = Report.objects.get()
    assert filed.status_code == retried.status_code == 302
    assert filed["Location"] == retried["Location"]  # anna's double click: her result page
    assert refused.status_code == 409
    html = refused.content.decode()
    assert report.tracking_code in html and f"issue {report.issue_id}" in html
    assert "not filed again" in html
    assert 'name="draft"' not in html  # the blank form: nothing to file as a plain report
    assert tracking_code_mails() == 1
    draft.refresh_from_db()
    assert draft.report == report


def test_a_filed_or_set_aside_draft_says_so_when_opened(territory: Territory) -> None:
    switchboard = operator()
    draft = e_mail_draft()
    switchboard.post("/office/intake/submit/", {**FORM, "draft": draft.pk})
    aside = Draft.objects.create(channel=Draft.Channel.PEC, subject="Pubblicità", discarded=True)

    filed_page = switchboard.get(f"/office/intake/?draft={draft.pk}").content.decode()
    aside_page = switchboard.get(f"/office/intake/?draft={aside.pk}").content.decode()
    posted = switchboard.post("/office/intake/submit/", {**FORM, "draft": aside.pk})
    unknown = switchboard.post("/office/intake/submit/", {**FORM, "draft": "99999"})

    assert Report.objects.get().tracking_code in filed_page
    assert "set aside" in aside_page and "Pubblicità" not in aside_page
    assert posted.status_code == unknown.status_code == 409
    assert "not among those waiting" in unknown.content.decode()
    assert Report.objects.count() == 1


def at_once(requests: list[Callable[[], Any]]) -> list[Any]:
    """Run the requests in threads released together; return their responses."""
    barrier = threading.Barrier(len(requests))
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run(request: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            answers.append(request())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a request hung"
    assert errors == []
    return answers


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_three_times_at_once_files_one_report() -> None:
    make_territory()
    switchboard = operator()
    key = form_key(switchboard)

    def post() -> Any:
        browser = Client()  # one per thread, in the same session
        browser.cookies = switchboard.cookies
        return browser.post("/office/intake/submit/", {**FORM, "key": key})

    answers = at_once([post, post, post])

    report = Report.objects.get()
    assert [a.status_code for a in answers] == [302, 302, 302]
    assert {a["Location"] for a in answers} == {reverse("office-intake-done", args=[report.pk])}
    assert Issue.objects.get().report_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_operators_filing_the_same_draft_at_once_file_it_once() -> None:
    make_territory()
    draft = e_mail_draft()
    clients = [operator("anna"), operator("bruno")]
    keys = [form_key(c, f"?draft={draft.pk}") for c in clients]
    form = {**FORM, "draft": draft.pk, "email": "lettore@example.org"}

    def filer(client: Client, key: str) -> Callable[[], Any]:
        return lambda: client.post("/office/intake/submit/", {**form, "key": key})

    answers = at_once([filer(c, k) for c, k in zip(clients, keys, strict=True)])

    report = Report.objects.get()
    assert sorted(a.status_code for a in answers) == [302, 409]
    [refused] = [a for a in answers if a.status_code == 409]
    assert report.tracking_code in refused.content.decode()
    assert tracking_code_mails() == 1
    assert Draft.objects.get(pk=draft.pk).report == report


def test_an_italian_decimal_comma_is_read_as_a_decimal_point(territory: Territory) -> None:
    lat, lon = (f"{value:.6f}".replace(".", ",") for value in INSIDE)

    response = operator().post("/office/intake/submit/", {**FORM, "lat": lat, "lon": lon})

    assert response.status_code == 302
    location = Report.objects.get().location
    assert (round(location.y, 6), round(location.x, 6)) == INSIDE


def test_a_malformed_coordinate_is_still_refused(territory: Territory) -> None:
    switchboard = operator()
    for lat in ("60,17,09", "60,17.09", "sessanta", "nan"):
        response = switchboard.post("/office/intake/submit/", {**FORM, "lat": lat})
        assert response.status_code == 400, lat
    assert not Report.objects.exists()


def test_the_error_summary_names_the_fields_by_their_translated_labels(
    territory: Territory,
) -> None:
    switchboard = operator()
    bad = {**FORM, "lat": "x", "lon": "", "category": "volcano"}

    english = switchboard.post("/office/intake/submit/", bad).content.decode()
    italian = switchboard.post(
        "/office/intake/submit/", bad, HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    outside = switchboard.post(
        "/office/intake/submit/", {**FORM, "lat": "45.0", "lon": "9.0"}
    ).content.decode()

    summary = english.split('id="intake-errors"')[1].split("</div>")[0]
    assert '<a href="#lat">Latitude</a>:' in summary
    assert '<a href="#lon">Longitude</a>:' in summary
    assert '<a href="#category">Category</a>:' in summary
    assert not re.search(r"<li>(lat|lon|category|location):", summary)
    assert '<a href="#lat">Latitudine</a>:' in italian
    assert '<a href="#intake-map">Where</a>: This place is outside' in outside
