"""Open311 GeoReport v2 conformance, written from the spec's tables (wiki.open311.org/GeoReport_v2).

Each endpoint in both formats, the required fields and their enums, the errors, the defaults
(90-day window, at most 1000), and the POST -> token -> GET flow.
"""

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from open311.actions import create_api_key
from reports.models import Channel, CloseReason, Issue, Question, Report, Status
from tests.factories import OUTSIDE, Territory, moved, street
from tests.open311_helpers import BASE, W3C, WEST, post_form, pothole, xml

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


NO_SIZE = {"attribute[size]": None}


@pytest.fixture
def key(territory: Territory) -> str:
    return create_api_key(name="Test app", owner="Tests")[1]


def submit(client: Client, key: str, **overrides: Any) -> dict[str, Any]:
    response = post_form(client, "requests.json", pothole(key, **overrides))
    assert response.status_code == 201, response.content
    return response.json()[0]


def assert_error(response: Any, status: int, fragment: str = "") -> None:
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        items = [(e.findtext("code"), e.findtext("description") or "") for e in root]
    else:
        items = [(e["code"], e["description"]) for e in response.json()]
        assert all(set(e) == {"code", "description"} for e in response.json())
    assert items and all(code == str(status) for code, _ in items)
    assert fragment in " ".join(d for _, d in items)


def test_discovery_lists_the_endpoint_in_both_formats(client: Client, db: None) -> None:
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert body["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/type").text == "production"


def test_services_list_every_active_category_the_municipality_handles_with_the_spec_fields(
    client: Client, territory: Territory
) -> None:
    territory.streetlight.active = False
    territory.streetlight.save()
    services = {s["service_code"]: s for s in client.get(f"{BASE}/services.json").json()}

    assert "streetlight" not in services
    # gas-leak is another body's: a client would offer its form, and every POST is refused.
    assert set(services) == {"pothole", "east-bins"}
    assert services["pothole"] == {
        "service_code": "pothole",
        "service_name": "Pothole",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "roads",
    }
    assert services["east-bins"]["metadata"] is False
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert first.findtext("service_code") == "pothole"
    assert first.findtext("metadata") == "true"


def test_service_definition_gives_questions_as_typed_attributes(
    client: Client, territory: Territory
) -> None:
    body = client.get(f"{BASE}/services/pothole.json").json()

    assert body["service_code"] == "pothole"
    size, depth = body["attributes"]
    assert size["code"] == "size"
    assert size["datatype"] == "singlevaluelist"
    assert size["required"] is True and size["variable"] is True
    assert size["order"] == 1
    assert size["description"] == "How big is it?"
    assert size["values"] == [{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}]
    assert depth["datatype"] == "number" and depth["required"] is False
    root = xml(client.get(f"{BASE}/services/pothole.xml"))
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.find("attributes/attribute/values")]
    assert keys == ["small", "large"]


def test_service_definition_is_in_the_language_asked(client: Client, territory: Territory) -> None:
    body = client.get(f"{BASE}/services/pothole.json", HTTP_ACCEPT_LANGUAGE="it").json()
    assert body["attributes"][0]["description"] == "Quanto è grande?"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_outside_the_municipality_s_competence_says_where_to_go(
    client: Client, territory: Territory, fmt: str, key: str
) -> None:
    assert "gas-leak" not in client.get(f"{BASE}/services.{fmt}").content.decode()
    assert_error(client.get(f"{BASE}/services/gas-leak.{fmt}"), 404, "800 900 900")
    posted = post_form(client, f"requests.{fmt}", pothole(key, service_code="gas-leak"))
    assert_error(posted, 400, "800 900 900")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_in_the_spec_error_format(
    client: Client, territory: Territory, fmt: str
) -> None:
    assert_error(client.get(f"{BASE}/services/nope.{fmt}"), 404, "nope")


def test_post_then_token_then_get_gives_the_same_request(
    client: Client, territory: Territory, key: str
) -> None:
    created = submit(client, key)

    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert isinstance(created["service_request_id"], str)
    report = Report.objects.get()
    assert report.channel == Channel.OPEN311
    assert report.answers == {"size": "large"}
    assert created["token"] == report.tracking_code
    by_token = client.get(f"{BASE}/tokens/{created['token']}.json").json()
    assert by_token == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    [request] = client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()
    assert set(request) == REQUEST_FIELDS
    assert request["service_request_id"] == str(report.issue_id)
    assert request["status"] == "open"
    assert request["service_code"] == "pothole"
    assert request["service_name"] == "Pothole"
    assert request["description"] == "Deep pothole by the school"
    assert request["agency_responsible"] == "Roads"
    assert (request["lat"], request["long"]) == pytest.approx(WEST)
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert re.match(W3C, request[name]), request[name]
    assert dt.datetime.fromisoformat(request["expected_datetime"]) == report.issue.due_at.replace(
        microsecond=0
    )
    root = xml(client.get(f"{BASE}/requests/{created['service_request_id']}.xml"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == created["service_request_id"]
    token_root = xml(client.get(f"{BASE}/tokens/{created['token']}.xml"))
    assert token_root.find("request/token").text == created["token"]


def test_post_in_xml_answers_xml(client: Client, territory: Territory, key: str) -> None:
    response = post_form(client, "requests.xml", pothole(key))
    assert response.status_code == 201
    root = xml(response)
    assert root.find("request/service_request_id").text == str(Issue.objects.get().pk)


def test_second_report_of_the_same_problem_joins_the_request(
    client: Client, territory: Territory, key: str
) -> None:
    first = submit(client, key)
    second = submit(client, key, lat=moved(WEST, 3)[0], long=moved(WEST, 3)[1])

    assert second["service_request_id"] == first["service_request_id"]
    assert second["token"] != first["token"]
    assert "already been reported" in second["service_notice"]
    assert Issue.objects.get().report_count == 2


def test_multivalue_attributes_are_answers_lists(
    client: Client, territory: Territory, key: str
) -> None:
    Question.objects.create(
        category=territory.pothole,
        code="hazards",
        label_en="Hazards",
        label_it="Pericoli",
        kind=Question.Kind.MULTICHOICE,
        choices=[{"key": "bikes", "it": "Bici"}, {"key": "night", "it": "Notte"}],
        order=3,
    )
    submit(client, key, **{"attribute[hazards][]": ["night", "bikes"]})
    assert Report.objects.get().answers["hazards"] == ["bikes", "night"]
    definition = client.get(f"{BASE}/services/pothole.json").json()
    assert definition["attributes"][2]["datatype"] == "multivaluelist"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_api_key_is_403(client: Client, territory: Territory, fmt: str) -> None:
    assert_error(post_form(client, f"requests.{fmt}", pothole("")), 403, "api_key")
    assert not Report.objects.exists()


def test_bad_or_revoked_api_key_is_403(client: Client, territory: Territory) -> None:
    row, key = create_api_key(name="Old app", owner="Tests")
    assert_error(post_form(client, "requests.json", pothole("not-a-key")), 403, "api_key")
    row.revoked_at = timezone.now()
    row.save()
    assert_error(post_form(client, "requests.json", pothole(key)), 403, "revoked")


def test_calls_over_the_key_rate_limit_get_429(client: Client, territory: Territory) -> None:
    _row, key = create_api_key(name="Busy app", owner="Tests", per_minute=2)
    assert post_form(client, "requests.json", pothole(key)).status_code == 201
    assert post_form(client, "requests.json", pothole(key)).status_code == 201
    assert_error(post_form(client, "requests.json", pothole(key)), 429, "2 a minute")
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "status", "fragment"),
    [
        ({"service_code": "nope"}, 404, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat and long"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": OUTSIDE[0], "long": OUTSIDE[1]}, 400, "outside"),
        ({"attribute[size]": None}, 400, "attribute[size]"),
        ({"attribute[size]": "huge"}, 400, "attribute[size]"),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"service_code": "gas-leak"}, 400, "800 900 900"),
        ({"address_id": "999999", "lat": None, "long": None}, 400, "address_id"),
        ({"address_id": "²", "lat": None, "long": None}, 400, "address_id"),
        ({"media_url": "ftp://example.org/a.jpg"}, 400, "http"),
    ],
)
def test_bad_submissions_get_the_spec_errors_and_store_nothing(
    client: Client, territory: Territory, key: str, overrides: dict, status: int, fragment: str
) -> None:
    assert_error(post_form(client, "requests.json", pothole(key, **overrides)), status, fragment)
    assert not Report.objects.exists()


def test_errors_are_in_the_language_asked(client: Client, territory: Territory) -> None:
    response = post_form(client, "requests.json", pothole(""), HTTP_ACCEPT_LANGUAGE="it")
    assert_error(response, 403)
    assert "api_key" in response.json()[0]["description"]
    assert response.json()[0]["description"] == "Per inviare serve una api_key."


def test_address_string_is_geocoded_on_the_street_network(
    client: Client, territory: Territory, key: str
) -> None:
    street("Mannerheimintie", *WEST)
    submit(client, key, lat=None, long=None, address_string="mannerheimintie 12, Helsinki")
    location = Report.objects.get().location
    assert (location.y, location.x) == pytest.approx(WEST, abs=1e-6)
    assert_error(
        post_form(
            client, "requests.json", pothole(key, lat=None, long=None, address_string="Via Nowhere")
        ),
        400,
        "Via Nowhere",
    )


def test_address_id_is_a_street_segment(client: Client, territory: Territory, key: str) -> None:
    segment = street("Aleksanterinkatu", *WEST)
    submit(client, key, lat=None, long=None, address_id=str(segment.pk))
    location = Report.objects.get().location
    assert (location.y, location.x) == pytest.approx(WEST, abs=1e-6)


def test_contact_fields_never_appear_in_get_responses(
    client: Client, territory: Territory, key: str
) -> None:
    created = submit(
        client,
        key,
        email="maria.rossi@example.org",
        first_name="Maria",
        last_name="Rossi",
        phone="+39 333 1234567",
        device_id="device-42",
    )
    assert Report.objects.get().reporter.email == "maria.rossi@example.org"
    paths = [
        "requests.json?extensions=true",
        "requests.xml?extensions=true",
        f"requests/{created['service_request_id']}.json?extensions=true",
        f"requests/{created['service_request_id']}.xml",
        f"tokens/{created['token']}.json",
        "servicerequestupdates.json",
    ]
    for path in paths:
        body = client.get(f"{BASE}/{path}").content.decode()
        for secret in ("maria", "Maria", "Rossi", "1234567", "device-42"):
            assert secret not in body, (path, secret)


def test_xml_stays_well_formed_with_control_characters_in_a_description(
    client: Client, territory: Territory, key: str
) -> None:
    submit(client, key, description="Buca\x0bprofonda\x1f qui")
    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.find("request/description").text == "Buca\ufffdprofonda\ufffd qui"
    assert (
        client.get(f"{BASE}/requests.json").json()[0]["description"] == "Buca\x0bprofonda\x1f qui"
    )


def test_get_requests_defaults_to_the_last_90_days(
    client: Client, territory: Territory, key: str
) -> None:
    recent = submit(client, key)["service_request_id"]
    old = submit(client, key, service_code="east-bins", lat=WEST[0], long=WEST[1] + 0.01, **NO_SIZE)
    Issue.objects.filter(pk=old["service_request_id"]).update(
        first_reported_at=timezone.now() - dt.timedelta(days=91)
    )
    ids = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert ids == [recent]


def test_get_requests_filters(client: Client, territory: Territory, key: str) -> None:
    pothole_id = submit(client, key)["service_request_id"]
    bins_id = submit(
        client, key, service_code="east-bins", lat=WEST[0], long=WEST[1] + 0.01, **NO_SIZE
    )["service_request_id"]
    Issue.objects.filter(pk=bins_id).update(status=Status.CLOSED, close_reason=CloseReason.FIXED)

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return sorted(r["service_request_id"] for r in response.json())

    assert ids("service_code=pothole") == [pothole_id]
    assert ids("service_code=pothole,east-bins") == sorted([pothole_id, bins_id])
    assert ids("status=open") == [pothole_id]
    assert ids("status=closed") == [bins_id]
    assert ids("status=open,closed") == sorted([pothole_id, bins_id])
    assert ids("status=open&status=closed") == sorted([pothole_id, bins_id])
    assert ids("status=open,open") == [pothole_id]
    assert ids("service_code=pothole&service_code=east-bins") == sorted([pothole_id, bins_id])
    # service_request_id overrides every other filter.
    assert ids(f"service_request_id={bins_id},{pothole_id}&status=open") == sorted(
        [pothole_id, bins_id]
    )
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    assert ids(f"start_date={tomorrow}T00:00:00Z") == []
    yesterday = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S%%2B00:00")
    assert ids(f"start_date={yesterday}&end_date={tomorrow}T00:00:00Z") == sorted(
        [pothole_id, bins_id]
    )
    closed = client.get(f"{BASE}/requests/{bins_id}.json").json()[0]
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "fixed"


def test_get_requests_pages(client: Client, territory: Territory, key: str) -> None:
    first = submit(client, key)["service_request_id"]
    second = submit(
        client, key, service_code="east-bins", lat=WEST[0], long=WEST[1] + 0.01, **NO_SIZE
    )["service_request_id"]
    page1 = client.get(f"{BASE}/requests.json?page_size=1").json()
    page2 = client.get(f"{BASE}/requests.json?page_size=1&page=2").json()
    page3 = client.get(f"{BASE}/requests.json?page_size=1&page=3").json()
    assert [r["service_request_id"] for r in page1 + page2] == [second, first]
    assert page3 == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-45T00:00:00Z", "end_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "before"),
        ("status=pending", "pending"),
        ("page=0", "page"),
        ("page_size=1001", "page_size"),
        ("page=two", "page"),
    ],
)
def test_bad_queries_are_400(
    client: Client, territory: Territory, query: str, fragment: str
) -> None:
    assert_error(client.get(f"{BASE}/requests.json?{query}"), 400, fragment)


OUT_OF_RANGE_DATES = [
    "start_date=9999-12-31T23:59:59Z",
    "start_date=9999-12-31T23:59:59-23:59",
    "end_date=0001-01-01T00:00:00Z",
    "end_date=0001-01-01T00:00:00%2B14:00",
    "start_date=0001-01-01",
    "end_date=9999-12-31",
    "start_date=1899-12-31T23:59:59Z&end_date=1900-01-02T00:00:00Z",
    "start_date=2099-12-31T00:00:00Z&end_date=2100-01-01T00:00:01Z",
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("resource", ["requests", "servicerequestupdates"])
@pytest.mark.parametrize("query", OUT_OF_RANGE_DATES)
def test_dates_out_of_range_are_400_not_an_overflow(
    client: Client, territory: Territory, resource: str, query: str, fmt: str
) -> None:
    response = client.get(f"{BASE}/{resource}.{fmt}?{query}")
    assert_error(response, 400, "is out of range: give a moment between 1900-01-01T00:00:00")


@pytest.mark.parametrize("resource", ["requests", "servicerequestupdates"])
def test_the_date_range_s_own_edges_are_served(
    client: Client, territory: Territory, resource: str
) -> None:
    for query in (
        "start_date=1900-01-01T00:00:00Z",
        "end_date=2100-01-01T00:00:00Z",
        "start_date=2026-01-01T00:00:00%2B14:00&end_date=2026-01-02T00:00:00-12:00",
    ):
        response = client.get(f"{BASE}/{resource}.json?{query}")
        assert response.status_code == 200, (query, response.content)
        assert response.json() == []


def test_a_date_question_takes_a_w3c_date_time_and_keeps_its_date(
    client: Client, territory: Territory, key: str
) -> None:
    Question.objects.create(
        category=territory.pothole,
        code="seen",
        label_en="Seen on",
        label_it="Vista il",
        kind=Question.Kind.DATE,
        order=3,
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    submit(client, key, **{"attribute[seen]": f"{yesterday.isoformat()}T10:00:00+01:00"})

    assert Report.objects.get().answers["seen"] == yesterday.isoformat()
    attributes = client.get(f"{BASE}/services/pothole.json").json()["attributes"]
    assert [(a["datatype"], a["datatype_description"]) for a in attributes[1:]] == [
        ("number", "A number from 0 to 1000000."),
        (
            "datetime",
            "A date, YYYY-MM-DD, from 1900-01-01 to today; of a W3C date-time, only the date "
            "is kept.",
        ),
    ]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"attribute[seen]": "0001-01-01"}, "attribute[seen]: Give a date from 1900-01-01"),
        ({"attribute[seen]": "9999-12-31T23:59:59Z"}, "attribute[seen]: Give a date from"),
        ({"attribute[depth_cm]": "1e308"}, "attribute[depth_cm]: Give a number from 0 to"),
        ({"attribute[depth_cm]": "-3"}, "attribute[depth_cm]: Give a number from 0 to"),
    ],
)
def test_absurd_answers_are_refused(
    client: Client, territory: Territory, key: str, overrides: dict, fragment: str
) -> None:
    Question.objects.create(
        category=territory.pothole, code="seen", label_en="Seen on", kind=Question.Kind.DATE
    )
    assert_error(post_form(client, "requests.json", pothole(key, **overrides)), 400, fragment)
    assert not Report.objects.exists()


def test_unknown_request_and_token_are_404(client: Client, territory: Territory) -> None:
    assert_error(client.get(f"{BASE}/requests/12345.json"), 404, "12345")
    assert_error(client.get(f"{BASE}/requests/12345.xml"), 404)
    assert_error(client.get(f"{BASE}/tokens/ABCD-EFGH.json"), 404, "ABCD-EFGH")
    assert_error(client.get(f"{BASE}/requests/99999999999999999999999.json"), 404)
    assert client.get(f"{BASE}/requests.json?service_request_id=²,x,-1").json() == []
    assert_error(client.get(f"{BASE}/requests.html"), 404)
    assert_error(client.get(f"{BASE}/nothing/here.xml"), 404)


def test_hidden_issues_are_not_served(client: Client, territory: Territory, key: str) -> None:
    created = submit(client, key)
    Issue.objects.update(hidden=True)
    assert client.get(f"{BASE}/requests.json").json() == []
    assert_error(client.get(f"{BASE}/requests/{created['service_request_id']}.json"), 404)


def test_jurisdiction_is_checked_when_configured(
    client: Client, territory: Territory, settings: Any
) -> None:
    settings.OPEN311_JURISDICTION_ID = "helsinki.example"
    assert client.get(f"{BASE}/services.json?jurisdiction_id=helsinki.example").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert_error(client.get(f"{BASE}/services.json?jurisdiction_id=rome.example"), 404, "rome")


def test_wrong_method_is_refused_with_the_error_format(client: Client, db: None) -> None:
    response = client.delete(f"{BASE}/services.json")
    assert_error(response, 405)
    assert response["Allow"] == "GET"


def test_extensions_add_the_public_timeline_and_answers(
    client: Client, territory: Territory, key: str
) -> None:
    created = submit(client, key)
    issue = Issue.objects.get()
    issue.timeline.create(kind="note", public=False, text="internal: call the contractor")
    issue.timeline.create(kind="reply", text="A crew is on its way.")

    plain = client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()[0]
    assert "extended_attributes" not in plain
    reply = issue.timeline.get(kind="reply")
    assert dt.datetime.fromisoformat(plain["updated_datetime"]) == reply.created_at.replace(
        microsecond=0
    )
    extended = client.get(
        f"{BASE}/requests/{created['service_request_id']}.json?extensions=true"
    ).json()[0]
    notes = extended["extended_attributes"]["notes"]
    assert [n["type"] for n in notes] == ["created", "reply"]
    assert notes[1]["description"] == "A crew is on its way."
    assert extended["extended_attributes"]["attributes"] == [{"code": "size", "value": "large"}]
    root = xml(client.get(f"{BASE}/requests.xml?extensions=true"))
    assert [n.findtext("type") for n in root.iter("note")] == ["created", "reply"]
    assert "internal" not in client.get(f"{BASE}/requests.xml?extensions=true").content.decode()


def test_get_requests_reads_a_page_in_a_fixed_number_of_queries(
    client: Client, territory: Territory, key: str, django_assert_max_num_queries: Any
) -> None:
    for metres in range(0, 300, 60):
        lat, lon = moved(WEST, metres)
        submit(client, key, lat=lat, long=lon)
    with django_assert_max_num_queries(2):
        response = client.get(f"{BASE}/requests.json?extensions=true")
    assert len(response.json()) == 5
