"""The submission API's field errors say what is expected, in the user's language."""

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from reports.models import Report
from tests.factories import INSIDE, Territory

PHONE = "Enter a phone number: digits, spaces and + ( ) . / - only, 5 to 30 characters."
YES_OR_NO = "Enter true or false."
URGENCY = "Give the urgency as a whole number from 1 to 5."
# DRF's own texts, in English and Italian: they must not come back.
DRF = [
    "This value does not match the required pattern.",
    "Questo valore non corrisponde alla sequenza richiesta.",
    "Must be a valid boolean.",
]


def refused(language: str, **fields: Any) -> dict[str, Any]:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post(
        "/api/v1/reports/",
        {**form, **fields},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400, response.json()
    assert not Report.objects.exists()
    return response.json()


def translated(message: str, language: str) -> str:
    with translation.override(language):
        return _(message)


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "abc", PHONE),
        ("phone", "347", PHONE),
        ("emergency", "maybe", YES_OR_NO),
        ("emergency", None, YES_OR_NO),
        ("urgency", "molto", URGENCY),
        ("urgency", 9, URGENCY),
        ("urgency", 0, URGENCY),
    ],
)
def test_a_bad_value_gets_a_message_that_says_what_is_expected(
    territory: Territory, language: str, field: str, value: Any, message: str
) -> None:
    errors = refused(language, **{field: value})

    assert errors[field] == [translated(message, language)]
    assert not set(errors[field]) & set(DRF)


def test_good_values_still_pass(territory: Territory, api: APIClient) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    response = api.post(
        "/api/v1/reports/",
        {**form, "phone": "+39 (06) 6988.1234", "emergency": "yes", "urgency": "5"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert report.emergency and report.urgency == 5 and report.reporter.phone.endswith("1234")
