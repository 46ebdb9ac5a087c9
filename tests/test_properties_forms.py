"""Property-based tests of the forms staff and third parties post: the switchboard's intake
and Open311's requests and updates (hypothesis, real PostGIS). Never a server error; a refused
request writes nothing."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from backoffice.models import Role, StaffProfile
from open311.actions import create_api_key
from reports.models import Issue
from tests.factories import INSIDE, Territory
from tests.open311_helpers import post_form, pothole
from tests.properties import (
    BOUNDED,
    COORDINATE,
    HOSTILE_TEXT,
    as_form_value,
    assert_no_server_error,
    assert_refused_cleanly,
    corrupted,
    snapshot,
)

INTAKE_VALID = {
    "lat": str(INSIDE[0]),
    "lon": str(INSIDE[1]),
    "category": "pothole",
    "description": "Buca segnalata al telefono",
    "name": "Giuseppe Verdi",
    "phone": "+39 333 1234567",
}
INTAKE_HOSTILE = {
    "lat": COORDINATE.map(as_form_value),
    "lon": COORDINATE.map(as_form_value),
    "category": HOSTILE_TEXT,
    "description": HOSTILE_TEXT,
    "name": HOSTILE_TEXT,
    "phone": HOSTILE_TEXT,
    "email": st.one_of(st.emails().map(str), HOSTILE_TEXT),
    "channel": HOSTILE_TEXT,
    "language": HOSTILE_TEXT,
    "urgency": HOSTILE_TEXT,
    "draft": HOSTILE_TEXT,
    "attachment": HOSTILE_TEXT,
}
OPEN311_HOSTILE = {
    "lat": COORDINATE.map(as_form_value),
    "long": COORDINATE.map(as_form_value),
    "service_code": HOSTILE_TEXT,
    "description": HOSTILE_TEXT,
    "attribute[size]": HOSTILE_TEXT,
    "address_string": HOSTILE_TEXT,
    "address_id": st.one_of(st.integers(-(10**20), 10**20).map(str), HOSTILE_TEXT),
    "email": st.one_of(st.emails().map(str), HOSTILE_TEXT),
    "first_name": HOSTILE_TEXT,
    "last_name": HOSTILE_TEXT,
    "phone": HOSTILE_TEXT,
    "jurisdiction_id": HOSTILE_TEXT,
    "media_url": HOSTILE_TEXT,
}


@pytest.fixture
def operator(territory: Territory) -> Client:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def key(territory: Territory) -> str:
    return create_api_key(name="App", owner="Someone", per_minute=100_000)[1]


@BOUNDED
@given(form=corrupted(INTAKE_VALID, INTAKE_HOSTILE))
def test_intake_never_fails_and_never_half_writes(operator: Client, form: dict[str, Any]) -> None:
    before = snapshot()
    response = operator.post("/office/intake/submit/", form)
    assert_no_server_error(response)
    if response.status_code != 302:  # a filed report redirects to its tracking code
        assert_refused_cleanly(response, before)


@BOUNDED
@given(form=corrupted(pothole(""), OPEN311_HOSTILE), fmt=st.sampled_from(["json", "xml"]))
def test_open311_requests_never_fail_and_never_half_write(
    key: str, form: dict[str, Any], fmt: str
) -> None:
    before = snapshot()
    response = post_form(Client(), f"requests.{fmt}", {**form, "api_key": key})
    if response.status_code != 201:
        assert_refused_cleanly(response, before)


@BOUNDED
@given(
    form=corrupted(
        {"description": "Still there", "email": "a@example.org"},
        {
            "description": HOSTILE_TEXT,
            "service_request_id": st.one_of(st.integers().map(str), HOSTILE_TEXT),
            "status": HOSTILE_TEXT,
            "update_id": HOSTILE_TEXT,
            "updated_datetime": HOSTILE_TEXT,
            "email": HOSTILE_TEXT,
            "phone": HOSTILE_TEXT,
            "media_url": HOSTILE_TEXT,
        },
    )
)
def test_open311_updates_never_fail_and_never_half_write(key: str, form: dict[str, Any]) -> None:
    filed = post_form(Client(), "requests.json", pothole(key))
    issue = Issue.objects.get(pk=filed.json()[0]["service_request_id"])
    data = {"service_request_id": str(issue.pk), **form, "api_key": key}
    before = snapshot()
    response = post_form(Client(), "servicerequestupdates.json", data)
    if response.status_code != 201:
        assert_refused_cleanly(response, before)


@BOUNDED
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                *("service_request_id", "service_code", "status", "start_date", "end_date"),
                *("page", "page_size", "extensions", "jurisdiction_id"),
            ]
        ),
        HOSTILE_TEXT,
    ),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_open311_reads_never_fail(territory: Territory, params: dict[str, str], fmt: str) -> None:
    assert_no_server_error(Client().get(f"/open311/v2/requests.{fmt}", params))
    assert_no_server_error(Client().get(f"/open311/v2/servicerequestupdates.{fmt}", params))


def test_nul_in_an_open311_parameter_is_a_400_in_the_callers_language(key: str) -> None:
    """Found by the properties above: PostgreSQL refused the NUL and the answer was a 500."""
    before = snapshot()
    response = post_form(
        Client(),
        "requests.json",
        pothole(key, service_code="pot\x00hole"),
        HTTP_ACCEPT_LANGUAGE="it",
    )
    assert response.status_code == 400
    assert response.json() == [
        {"code": "400", "description": "I parametri non possono contenere caratteri NUL."}
    ]
    assert snapshot() == before
