"""What Segnala writes on a timeline is read in each reader's language (reports.texts): the
public page, the followers' e-mails, Open311 and the back office; what a person typed stays as
typed (real PostGIS; e-mails in Django's locmem outbox)."""

from django.core import mail
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from clustering.actions import merge_issues
from reports.models import Issue, Reporter, Status, TimelineEntry
from reports.tasks import send_issue_update
from reports.workflow import change_status, reply_publicly
from tests.factories import INSIDE, Territory, confirm_addresses, moved

ENGLISH, ITALIAN = "jane.roe@example.org", "mario.rossi@example.org"
SAME_PROBLEM = {
    "en": "Same problem as issue #{}.",
    "it": "È lo stesso problema della segnalazione n. {}.",
}


def report(where: tuple[float, float], email: str, language: str, description: str) -> int:
    form = {
        "lat": where[0],
        "lon": where[1],
        "category": "pothole",
        "answers": {"size": "small"},
        "description": description,
        "email": email,
    }
    response = APIClient().post(
        "/api/v1/reports/", form, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 201, response.json()
    confirm_addresses()  # the citizen follows the confirmation link
    return int(response.json()["issue"])


def page(path: str, language: str) -> str:
    return Client().get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_merge_reads_in_the_language_of_each_page_and_each_follower(
    territory: Territory,
) -> None:
    source = report(INSIDE, ENGLISH, "en", "Deep pothole by the kerb")
    target = report(moved(INSIDE, 400), ITALIAN, "it", "Buca profonda in mezzo alla strada")
    assert Reporter.objects.get(email=ENGLISH).language == "en"
    mail.outbox.clear()

    with translation.override("it"):  # an Italian operator's request merges them
        merge_issues(Issue.objects.get(pk=source), Issue.objects.get(pk=target), actor=None)

    entry = TimelineEntry.objects.get(issue_id=source, kind=TimelineEntry.Kind.MERGED)
    assert entry.data["texts"] == {
        "it": SAME_PROBLEM["it"].format(target),
        "en": SAME_PROBLEM["en"].format(target),
    }
    assert entry.text == SAME_PROBLEM["en"].format(target)  # the suite's site language
    assert SAME_PROBLEM["en"].format(target) in page(f"/issues/{source}/", "en")
    assert SAME_PROBLEM["it"].format(target) in page(f"/issues/{source}/", "it")
    assert "the same problem: its reports are here now" in page(f"/issues/{target}/", "en")
    assert "riguardava lo stesso problema" in page(f"/issues/{target}/", "it")
    for language in ("en", "it"):
        api = APIClient().get(f"/api/v1/issues/{source}/", HTTP_ACCEPT_LANGUAGE=language)
        texts = [entry["text"] for entry in api.json()["timeline"]]
        assert SAME_PROBLEM[language].format(target) in texts


def test_a_status_sentence_reaches_each_follower_and_open311_in_their_language(
    territory: Territory,
) -> None:
    issue = report(INSIDE, ENGLISH, "en", "Deep pothole by the kerb")
    APIClient().post(
        f"/api/v1/issues/{issue}/support/", {"email": ITALIAN}, HTTP_ACCEPT_LANGUAGE="it"
    )
    confirm_addresses(issue)
    mail.outbox.clear()

    with translation.override("it"):
        entry = change_status(
            issue,
            Status.IN_PROGRESS,
            actor=None,
            public_text=lambda: translation.gettext("A crew is on site and working on it."),
        )
    assert send_issue_update(entry.pk) == 2

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "A crew is on site and working on it." in bodies[ENGLISH]
    assert "Una squadra è sul posto" in bodies[ITALIAN]
    updates = Client().get(
        f"/open311/v2/requests/{issue}.json?extensions=true", HTTP_ACCEPT_LANGUAGE="it"
    )
    assert "Una squadra è sul posto" in updates.content.decode()
    assert "A crew is on site and working on it." in page(f"/issues/{issue}/", "en")


def test_an_internal_note_segnala_writes_is_kept_in_every_language(territory: Territory) -> None:
    issue = report(INSIDE, ENGLISH, "en", "Deep pothole by the kerb")

    with translation.override("en"):  # a citizen's English request, as a reopening's
        change_status(
            issue,
            Status.ASSIGNED,
            actor=None,
            internal_note=lambda: (
                translation.gettext("Reopened by a citizen after rating %(stars)s/5: %(note)s")
                % {"stars": 1, "note": "still there"}
            ),
        )

    note = TimelineEntry.objects.get(issue_id=issue, kind=TimelineEntry.Kind.INTERNAL_NOTE)
    assert note.data["texts"]["it"].startswith("Riaperta da un cittadino")
    assert note.data["texts"]["en"] == "Reopened by a citizen after rating 1/5: still there"


def test_what_a_person_typed_stays_as_typed_in_every_language(territory: Territory) -> None:
    issue = report(INSIDE, ENGLISH, "en", "Deep pothole by the kerb")

    entry = reply_publicly(issue, actor=None, text="Interverremo lunedì.")

    assert "texts" not in entry.data
    assert "Interverremo lunedì." in page(f"/issues/{issue}/", "en")
    assert "Interverremo lunedì." in page(f"/issues/{issue}/", "it")
