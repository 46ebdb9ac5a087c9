"""Staff refusals say what to do, in the staff member's language (the staff API's "no such
issue" and empty split were English under Accept-Language: it; the back office's empty split
said only "This field is required."), and an e-mail filed at the intake is not read out."""

from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from backoffice.models import Role
from reports.models import Channel, Report
from tests.factories import INSIDE, Territory
from tests.test_backoffice import report, staff_client

CHOOSE = "Scegli le segnalazioni che riguardano un altro problema."


def staff_api() -> APIClient:
    user = get_user_model().objects.create_user("operator-api", password="pw", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_staff_api_refuses_in_italian(territory: Territory) -> None:
    issue = report(INSIDE)
    api = staff_api()

    missing = api.post(
        "/api/v1/issues/999999/merge/", {"into": issue}, format="json", HTTP_ACCEPT_LANGUAGE="it"
    )
    empty = api.post(
        f"/api/v1/issues/{issue}/split/", {"reports": []}, format="json", HTTP_ACCEPT_LANGUAGE="it"
    )

    assert missing.status_code == 404
    assert missing.json()["detail"] == "Questa segnalazione non esiste."
    assert empty.status_code == 400
    assert empty.json()["reports"] == [CHOOSE]


def test_an_empty_split_on_the_issue_page_says_what_to_choose(territory: Territory) -> None:
    issue = report(INSIDE)
    operator: Client = staff_client(Role.OPERATOR)

    page = operator.post(
        f"/office/issues/{issue}/split/", {"version": 1}, follow=True, HTTP_ACCEPT_LANGUAGE="it"
    )

    assert CHOOSE in page.content.decode()


def test_an_email_filed_at_the_intake_is_not_read_out(territory: Territory) -> None:
    issue = report(INSIDE)
    filed = Report.objects.get(issue_id=issue)
    operator: Client = staff_client(Role.OPERATOR)

    Report.objects.filter(pk=filed.pk).update(channel=Channel.EMAIL)
    by_email = operator.get(f"/office/intake/{filed.pk}/").content.decode()
    Report.objects.filter(pk=filed.pk).update(channel=Channel.PHONE)
    by_phone = operator.get(f"/office/intake/{filed.pk}/").content.decode()

    assert "Read the tracking code out to the caller" not in by_email
    assert "The tracking code of this report" in by_email
    assert "Read the tracking code out to the caller" in by_phone
