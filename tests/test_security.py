"""Security headers and CSP, CSRF, rate limits, login brute force, oversized requests."""

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from reports.models import Report
from tests.factories import INSIDE, Territory


def test_public_pages_carry_a_strict_content_security_policy(territory: Territory) -> None:
    for path in ("/", "/map/", "/map/list/", "/stats/", "/privacy/"):
        response = Client().get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" not in Client().get("/admin/login/")


def test_staff_forms_need_the_csrf_token(territory: Territory) -> None:
    user = get_user_model().objects.create_user("urp", password="pw", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/office/filters/", {"name": "x", "query": "late=on"})
    client.get("/office/")  # its forms set the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    with_token = client.post(
        "/office/filters/", {"name": "x", "query": "late=on", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 403 and b"CSRF" in response.content
    assert with_token.status_code == 302  # the same request with its token goes through


def submit(client: APIClient, **headers: Any) -> Any:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"}
    form["answers"] = json.dumps({"size": "small"})
    return client.post("/api/v1/reports/", form, format="multipart", **headers)


def test_anonymous_submissions_are_rate_limited_per_address(
    territory: Territory, settings: Any
) -> None:
    settings.SUBMISSIONS_RATE = "3/hour"
    client = APIClient()

    statuses = [submit(client).status_code for _ in range(3)]
    refused = submit(client, HTTP_ACCEPT_LANGUAGE="it")
    elsewhere = submit(client, REMOTE_ADDR="10.1.2.3")

    assert statuses == [201, 201, 201]
    assert refused.status_code == 429 and "Troppe richieste" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert elsewhere.status_code == 201  # another address has its own allowance
    assert Report.objects.count() == 4


def test_login_is_locked_after_repeated_failures(db: None) -> None:
    get_user_model().objects.create_superuser("boss", "boss@comune.example", "right-password")
    client = Client()

    failures = [
        client.post("/admin/login/", {"username": "boss", "password": f"wrong-{n}"}).status_code
        for n in range(5)
    ]
    locked = client.post("/admin/login/", {"username": "boss", "password": "right-password"})

    assert failures == [200, 200, 200, 200, 429]  # the form again with an error, then locked
    assert locked.status_code == 429  # even with the right password, for a while
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["/api/v1/reports/", "/open311/v2/requests.json", "/office/intake/submit/"]
)
def test_an_oversized_request_is_refused_before_it_is_read(territory: Territory, path: str) -> None:
    response = Client().post(
        path,
        data=b"x" * 10,
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        HTTP_ACCEPT_LANGUAGE="it",
    )

    assert response.status_code == 413
    assert "troppo grande" in response.json()["detail"]
    assert not Report.objects.exists()


def test_staff_and_crews_log_in_on_our_page_and_land_where_they_were_going(
    territory: Territory,
) -> None:
    get_user_model().objects.create_user("squadra", password="a-long-password")
    client = Client()

    sent = client.get("/crew/")
    page = client.get(sent["Location"])
    wrong = client.post("/login/?next=/crew/", {"username": "squadra", "password": "no"})
    still_out = "_auth_user_id" not in client.session
    logged = client.post(
        "/login/?next=/crew/",
        {"username": "squadra", "password": "a-long-password", "next": "/crew/"},
    )

    assert sent.status_code == 302 and sent["Location"] == "/login/?next=/crew/"
    assert page.status_code == 200 and "Content-Security-Policy" in page
    assert wrong.status_code == 200 and still_out
    assert logged.status_code == 302 and logged["Location"] == "/crew/"
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
