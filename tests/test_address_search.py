"""The citizen form's address search (/api/v1/addresses/) and the street read out at the pin
(/api/v1/addresses/at/), on the offline geocoder's imported streets."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from geo import geocode
from geo.units import haversine_m
from tests.factories import CENTRE_LAT, CENTRE_LON, OUTSIDE, Territory, street

STREET_AT = (CENTRE_LAT + 0.002, CENTRE_LON - 0.005)


@pytest.fixture
def mannerheimintie(territory: Territory) -> None:
    street("Mannerheimintie", *STREET_AT)


def test_a_typed_street_and_number_gives_a_point_on_that_street(
    api: APIClient, mannerheimintie: None
) -> None:
    response = api.get("/api/v1/addresses/", {"q": "  mannerheimintie 5 "})

    assert response.status_code == 200, response.json()
    found = response.json()
    assert haversine_m(found["lat"], found["lon"], *STREET_AT) < 1  # the street's middle
    assert found["address"] == "Mannerheimintie"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Type a street and number."),
        ({"q": "   "}, "Type a street and number."),
        ({"q": "Mannerheimintie " + "5" * 200}, "Type at most 200 characters."),
        ({"q": "Mannerheim\x00intie"}, "Null characters are not allowed."),
    ],
)
def test_an_empty_or_too_long_address_is_refused_with_a_message(
    api: APIClient, mannerheimintie: None, query: dict[str, str], message: str
) -> None:
    response = api.get("/api/v1/addresses/", query)

    assert response.status_code == 400
    assert response.json() == {"q": [message]}


def test_the_refusal_is_in_the_citizens_language(api: APIClient, mannerheimintie: None) -> None:
    response = api.get("/api/v1/addresses/", {"q": ""}, HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 400
    assert response["Content-Language"] == "it"


def test_an_unknown_street_is_not_found_with_a_message(
    api: APIClient, mannerheimintie: None
) -> None:
    response = api.get("/api/v1/addresses/", {"q": "Via Nowhere 3"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No street of the municipality matches this address."}


def test_a_street_outside_the_territory_is_not_found(api: APIClient, territory: Territory) -> None:
    street("Porvoontie", *OUTSIDE)

    response = api.get("/api/v1/addresses/", {"q": "Porvoontie"})

    assert response.status_code == 404
    assert "No street of the municipality" in response.json()["detail"]


def test_nominatims_answer_in_another_town_gives_way_to_the_territorys_own_street(
    api: APIClient, mannerheimintie: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nominatim is another service: what it would answer is stood in for, not the database.
    settings.GEOCODER = "nominatim"
    monkeypatch.setattr(geocode, "nominatim_position", lambda query: OUTSIDE)
    monkeypatch.setattr(geocode, "nominatim_address", lambda lat, lon: "Mannerheimintie 5")

    response = api.get("/api/v1/addresses/", {"q": "Mannerheimintie 5"})

    assert response.status_code == 200, response.json()
    found = response.json()
    assert haversine_m(found["lat"], found["lon"], *STREET_AT) < 1
    assert found["address"] == "Mannerheimintie 5"


def test_the_street_at_a_point_comes_from_the_imported_roads(
    api: APIClient, mannerheimintie: None
) -> None:
    lat, lon = STREET_AT[0] + 0.0002, STREET_AT[1]  # 22 m north of the street

    response = api.get("/api/v1/addresses/at/", {"lat": lat, "lon": lon})

    assert response.status_code == 200
    assert response.json() == {"lat": lat, "lon": lon, "address": "Mannerheimintie"}


def test_a_point_with_no_street_near_it_has_an_empty_address(
    api: APIClient, mannerheimintie: None
) -> None:
    response = api.get("/api/v1/addresses/at/", {"lat": CENTRE_LAT - 0.008, "lon": CENTRE_LON})

    assert response.status_code == 200
    assert response.json()["address"] == ""


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"lat": OUTSIDE[0], "lon": OUTSIDE[1]},
            {"location": ["This place is outside the municipality's territory."]},
        ),
        ({"lat": "nan", "lon": CENTRE_LON}, {"lat": ["A valid number is required."]}),
        ({"lon": CENTRE_LON}, {"lat": ["This field is required."]}),
    ],
)
def test_the_street_at_a_bad_or_outside_point_is_refused_with_a_message(
    api: APIClient, mannerheimintie: None, query: dict[str, Any], errors: dict[str, Any]
) -> None:
    response = api.get("/api/v1/addresses/at/", query)

    assert response.status_code == 400
    assert response.json() == errors


def test_address_look_ups_are_rate_limited_per_address(
    api: APIClient, mannerheimintie: None, settings: Any
) -> None:
    settings.GEOCODE_RATE = "3/hour"
    point = {"lat": STREET_AT[0], "lon": STREET_AT[1]}

    statuses = [
        api.get("/api/v1/addresses/", {"q": "Mannerheimintie"}).status_code,
        api.get("/api/v1/addresses/at/", point).status_code,
        api.get("/api/v1/addresses/", {"q": "Mannerheimintie"}).status_code,
    ]
    refused = api.get("/api/v1/addresses/at/", point)
    elsewhere = api.get("/api/v1/addresses/at/", point, REMOTE_ADDR="10.1.2.3")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and "Too many requests" in refused.json()["detail"]
    assert elsewhere.status_code == 200
