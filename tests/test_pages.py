"""The citizen's pages through Django's test client: form, tracking page, public issue page."""

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from reports.models import Issue, Report, TimelineEntry
from reports.views import normalize_tracking_code
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, jpeg_bytes

pytestmark = pytest.mark.django_db

NAME = "Gioconda Bellavista"
EMAIL = "gioconda.bellavista@example.org"
PHONE = "+39 347 555 0199"


def submit(api: APIClient, **extra: Any) -> dict[str, Any]:
    data = {
        "lat": CENTRE_LAT - 0.002,
        "lon": CENTRE_LON - 0.005,
        "category": "pothole",
        "description": "A deep hole in front of the school.",
        "answers": json.dumps({"size": "large"}),
        "urgency": 4,
        **extra,
    }
    response = api.post("/api/v1/reports/", data, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def test_submit_page_renders_the_form_with_the_territory_on_the_map(
    client: Client, territory: Territory
) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-form"' in html
    assert "csrftoken" in response.cookies
    config = response.context["config"]
    (south, west), (north, east) = config["bounds"]
    assert south < CENTRE_LAT < north
    assert west < CENTRE_LON < east
    assert config["tileUrl"] == "/static/test-tiles/{z}/{x}/{y}.png"
    assert 'id="submit-config"' in html
    # Our own static files only: no CDN, no font service.
    assert "/static/leaflet/leaflet.js" in html
    assert "/static/vendor/exifr/full.umd.js" in html
    assert "unpkg" not in html
    assert "googleapis" not in html
    assert "Call 112 now." in html  # the emergency message is in the page before any send


def test_submit_page_without_a_municipality_falls_back_to_the_default_centre(
    client: Client,
) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.context["config"]["bounds"] is None


def test_submit_page_speaks_italian(client: Client, territory: Territory) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 200
    assert '<html lang="it">' in response.content.decode()


def test_tracking_page_shows_the_code_status_and_count(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api)

    response = client.get(result["tracking_url"])

    assert response.status_code == 200
    html = response.content.decode()
    assert result["tracking_code"] in html
    assert 'class="status status-open"' in html
    assert "1 person has reported this problem." in html
    assert "A deep hole in front of the school." in html
    assert "issue opened" in html.lower()


def test_tracking_page_accepts_lower_case_and_a_missing_dash(
    client: Client, api: APIClient, territory: Territory
) -> None:
    code = submit(api)["tracking_code"]

    for typed in (code.lower(), code.replace("-", ""), code.lower().replace("-", " ")):
        response = client.get(f"/t/{typed}/")
        assert response.status_code == 200, typed
        assert code in response.content.decode()


def test_unknown_tracking_code_is_a_404_page(client: Client, territory: Territory) -> None:
    for typed in ("ABCD-EFGH", "nonsense", "ABCD-EFGH-JKMN"):
        response = client.get(f"/t/{typed}/")
        assert response.status_code == 404
        assert "Report not found" in response.content.decode()


def test_tracking_code_normalization() -> None:
    assert normalize_tracking_code("k7qm-2xpa") == "K7QM-2XPA"
    assert normalize_tracking_code("K7QM2XPA") == "K7QM-2XPA"
    assert normalize_tracking_code(" k7qm 2xpa ") == "K7QM-2XPA"
    assert normalize_tracking_code("K7QM-2XP") is None
    assert normalize_tracking_code("K7QM-2XP<") is None


def test_pages_never_show_the_reporters_personal_data(
    client: Client, api: APIClient, territory: Territory
) -> None:
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_bytes(), content_type="image/jpeg")
    result = submit(api, name=NAME, email=EMAIL, phone=PHONE, photo=[photo])
    report = Report.objects.get(pk=result["id"])
    assert report.reporter is not None and report.reporter.email == EMAIL

    for url in (result["tracking_url"], f"/issues/{result['issue']}/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        for personal in (NAME, "Gioconda", "Bellavista", EMAIL, "gioconda.bellavista", PHONE):
            assert personal not in html, (url, personal)
        # The phone's subscriber digits in any layout (not "0199" alone: a photo's random
        # file name may hold it).
        assert not re.search(r"555\D{0,2}0199", html)
        assert "IMG_0001" not in html  # the citizen's file name is not kept either
        assert report.photos.get().image.url in html


def test_issue_page_hides_the_tracking_code(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api)

    response = client.get(f"/issues/{result['issue']}/")

    assert response.status_code == 200
    assert result["tracking_code"] not in response.content.decode()


def test_issue_page_shows_only_public_timeline_entries(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api)
    TimelineEntry.objects.create(
        issue_id=result["issue"], kind="note", public=False, text="Internal: call the contractor."
    )
    TimelineEntry.objects.create(
        issue_id=result["issue"], kind="reply", public=True, text="A crew will come on Monday."
    )

    html = client.get(f"/issues/{result['issue']}/").content.decode()

    assert "A crew will come on Monday." in html
    assert "call the contractor" not in html


def test_hidden_issue_is_not_found_and_its_reporter_is_told_it_was_withdrawn(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api, description="Buca profonda davanti al civico 12")
    Issue.objects.filter(pk=result["issue"]).update(hidden=True)

    assert client.get(f"/issues/{result['issue']}/").status_code == 404
    # The reporter, who holds the code, learns it was withdrawn: not "check your code".
    tracking = client.get(result["tracking_url"])
    page = tracking.content.decode()
    assert tracking.status_code == 200
    assert "the moderators withdrew it" in page and result["tracking_code"] in page
    assert "check the code" not in page.lower() and "Buca profonda" not in page


def test_emergency_report_shows_the_emergency_number(
    client: Client, api: APIClient, territory: Territory
) -> None:
    emergency = submit(api, emergency="true")
    ordinary = submit(api, lat=CENTRE_LAT + 0.005, emergency="false")

    html = client.get(emergency["tracking_url"]).content.decode()
    assert 'class="emergency-number"' in html
    assert "You told us that someone is hurt or in immediate danger." in html
    assert 'href="tel:112"' in html.split("<footer")[0]

    html = client.get(ordinary["tracking_url"]).content.decode()
    assert 'class="emergency-number"' not in html
    assert 'href="tel:112"' not in html.split("<footer")[0]


def test_tracking_page_reads_in_a_fixed_number_of_queries(
    client: Client,
    api: APIClient,
    territory: Territory,
    django_assert_max_num_queries: Any,
) -> None:
    photos = [
        SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(), content_type="image/jpeg") for n in range(3)
    ]
    result = submit(api, photo=photos)
    for n in range(3):
        TimelineEntry.objects.create(issue_id=result["issue"], kind="reply", text=f"Reply {n}.")

    with django_assert_max_num_queries(5):
        response = client.get(result["tracking_url"])

    assert response.status_code == 200


def test_closed_issue_shows_the_public_status_and_reason(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api)
    Issue.objects.filter(pk=result["issue"]).update(status="closed", close_reason="fixed")

    html = client.get(result["tracking_url"]).content.decode()

    assert 'class="status status-closed"' in html
    assert "Fixed" in html


def test_language_switcher_turns_the_pages_italian(client: Client, territory: Territory) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/i18n/setlang/"' in html

    response = client.post("/i18n/setlang/", {"language": "it", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert '<html lang="it">' in client.get("/").content.decode()
