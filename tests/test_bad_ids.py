"""Ids typed by people or sent by clients: anything that is not one is a 4xx, never a 500
(str.isdigit() takes "²", which int() refuses; PostgreSQL refuses NUL)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from backoffice.models import Role, StaffProfile
from open311.actions import create_api_key
from reports.models import Report
from tests.factories import Territory
from tests.open311_helpers import BASE, post_form, pothole


def operator() -> Client:
    user = get_user_model().objects.create_superuser("admin", "a@comune.example", "pw")
    StaffProfile.objects.create(user=user, role=Role.ADMINISTRATOR)
    client = Client()
    client.force_login(user)
    return client


def test_superscript_digits_are_not_ids_anywhere(territory: Territory) -> None:
    staff = operator()
    key = create_api_key(name="App", owner="Tests")[1]
    issue = post_form(Client(), "requests.json", pothole(key)).json()[0]["service_request_id"]

    answers: dict[str, Any] = {
        "queue search": staff.get("/office/?q=%C2%B2").status_code,
        "draft": staff.get("/office/intake/?draft=%C2%B2").status_code,
        "weeks": staff.get("/office/stats/?weeks=%C2%B2").status_code,
        "department": staff.get("/office/stats/?department=%C2%B2").status_code,
        "public weeks": Client().get("/stats/?weeks=%C2%B2").status_code,
        "version": staff.post(
            f"/office/issues/{issue}/take/", {"version": "²"}, follow=True
        ).status_code,
        "open311 id": Client().get(f"{BASE}/requests/%C2%B2.json").status_code,
    }

    assert answers == {
        "queue search": 200,
        "draft": 200,
        "weeks": 400,
        "department": 400,
        "public weeks": 400,
        "version": 200,  # the issue page again, saying the page is out of date
        "open311 id": 404,
    }


def test_nul_in_an_open311_path_is_refused_not_a_500(territory: Territory) -> None:
    for path in ("tokens/%00.json", "services/%00.json"):
        assert Client().get(f"{BASE}/{path}").status_code == 400, path
    assert Client().get(f"{BASE}/requests/%00.json").status_code == 404  # not an id


def test_open311_tokens_forgive_case_and_separators_like_the_tracking_page(
    territory: Territory,
) -> None:
    key = create_api_key(name="App", owner="Tests")[1]
    post_form(Client(), "requests.json", pothole(key))
    code = Report.objects.get().tracking_code

    typed = code.replace("-", " ").lower()
    answer = Client().get(f"{BASE}/tokens/{typed}.json")

    assert answer.status_code == 200 and answer.json()[0]["token"] == code
