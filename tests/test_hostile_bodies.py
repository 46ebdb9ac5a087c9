"""Malformed bodies and parameters get a 4xx with a message, never a 500."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import INSIDE, Territory

CASES: list[tuple[str, str, Any]] = [
    (
        "post",
        "/api/v1/reports/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": ["size", "small"]},
    ),
    (
        "post",
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "photo": "not-a-file",
            "answers": {"size": "small"},
        },
    ),
    ("post", "/api/v1/reports/", ["a", "list", "body"]),
    ("post", "/api/v1/reports/", {"lat": {"nested": 1}, "lon": [], "category": 7}),
    ("get", f"/api/v1/issues/nearby/?lat={INSIDE[0]}", None),
    ("get", "/api/v1/issues/?page=abc", None),
    ("get", "/api/v1/issues/?bbox=" + ",".join(["1e400"] * 4), None),
    ("get", "/api/v1/categories/?lat=&lon=", None),
    ("post", "/api/v1/issues/1/support/", ["me", "too"]),
    ("post", "/api/v1/issues/1/merge/", {"into": None}),
    ("post", "/api/v1/issues/1/split/", {"reports": "1,2"}),
    ("post", "/api/v1/departments/1/routes/plan", {"date": "someday"}),
    ("get", "/api/v1/departments/1/routes/?date=2026-13-45", None),
    ("get", "/t/%00%ff/", None),
]


@pytest.mark.parametrize("method, url, body", CASES)
def test_hostile_input_is_a_client_error(
    method: str, url: str, body: Any, territory: Territory
) -> None:
    user = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)

    response = (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else (getattr(client, method)(url))
    )

    assert 400 <= response.status_code < 500, (url, response.status_code)
