"""Forward geocoding of Open311's address_string on the demo extract's real street names."""

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from geo.geocode import forward_geocode, nearest_street_name
from geo.importer import import_roads

EXTRACT = Path(settings.BASE_DIR) / "fixtures" / "osm" / "helsinki.osm.pbf"


@pytest.fixture
def roads(db: None) -> None:
    import_roads(EXTRACT)


def test_a_street_and_number_lands_on_that_street(roads: None) -> None:
    found = forward_geocode("Mannerheimintie 5, 00100 Helsinki")
    assert found is not None
    assert nearest_street_name(*found, max_m=5) == "Mannerheimintie"


def test_a_partial_name_finds_the_street_that_contains_it(roads: None) -> None:
    found = forward_geocode("  aleksanterin  ")
    assert found is not None
    assert nearest_street_name(*found, max_m=5) == "Aleksanterinkatu"


def test_unknown_or_empty_addresses_are_not_found(roads: None) -> None:
    assert forward_geocode("Via Nowhere 3") is None
    assert forward_geocode("12, 00100") is None
    assert forward_geocode("") is None


def test_nominatim_failure_falls_back_to_the_street_network(roads: None, settings: Any) -> None:
    settings.GEOCODER = "nominatim"
    settings.NOMINATIM_DOMAIN = "127.0.0.1:9"  # nothing listens
    settings.GEOCODER_TIMEOUT_S = 2
    found = forward_geocode("Mannerheimintie")
    assert found is not None
    assert nearest_street_name(*found, max_m=5) == "Mannerheimintie"
