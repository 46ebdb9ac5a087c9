"""Numbers on coloured markers read (WCAG 1.4.3, 4.5:1): the public map's cluster counts on
every category group's colour, the queue map's stop numbers on every route's colour."""

import json
import re

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from maps_static.colours import DARK, LIGHT, contrast_ratio, text_colour_on
from maps_static.views import ROUTE_COLOURS
from reports.demo.catalog import GROUPS
from reports.models import CategoryGroup
from tests.factories import Territory

# WCAG 1.4.3 for text under 18.66 px bold: the counts are 0.85rem bold.
MINIMUM = 4.5


def test_the_contrast_formula_gives_the_reviewers_figures() -> None:
    assert contrast_ratio(LIGHT, DARK) == pytest.approx(21.0)
    assert contrast_ratio(LIGHT, "#f2b705") == pytest.approx(1.82, abs=0.01)  # street lighting
    assert contrast_ratio("#e8590c", LIGHT) == pytest.approx(3.58, abs=0.01)  # roads


@pytest.mark.parametrize("group", GROUPS, ids=[g.code for g in GROUPS])
def test_every_demo_group_colour_gets_a_count_colour_that_reads_on_it(group: object) -> None:
    colour = group.color  # type: ignore[attr-defined]
    assert contrast_ratio(colour, text_colour_on(colour)) >= MINIMUM


@pytest.mark.parametrize("colour", ROUTE_COLOURS)
def test_every_route_colour_of_the_queue_map_gets_a_stop_number_colour_that_reads_on_it(
    colour: str,
) -> None:
    assert contrast_ratio(colour, text_colour_on(colour)) >= MINIMUM


@given(st.integers(0, 0xFFFFFF).map(lambda rgb: f"#{rgb:06x}"))
def test_any_colour_a_municipality_picks_gets_a_readable_count(colour: str) -> None:
    assert contrast_ratio(colour, text_colour_on(colour)) >= MINIMUM


@pytest.mark.parametrize("stored", ["#fd0", "red", "", "#12345g"])
def test_a_short_or_unknown_colour_gets_the_count_colour_of_what_the_browser_draws(
    stored: str,
) -> None:
    drawn = {"#fd0": "#ffdd00"}.get(stored, "#555555")  # maps.css falls back to #555555
    assert contrast_ratio(drawn, text_colour_on(stored)) >= MINIMUM


def test_the_map_gives_every_group_its_colour_and_a_count_colour_that_reads_on_it(
    territory: Territory, client: Client
) -> None:
    for spec in GROUPS:
        CategoryGroup.objects.update_or_create(
            code=spec.code, defaults={"name_en": spec.name_en, "color": spec.color}
        )
    lighting = CategoryGroup.objects.get(code="lighting")
    territory.streetlight.group = lighting
    territory.streetlight.save()

    page = client.get("/map/").content.decode()
    config = json.loads(re.search(r'id="map-config"[^>]*>(.*?)</script>', page, re.S)[1])

    groups = config["groups"]
    assert groups["lighting"]["color"] == "#f2b705" and groups["roads"]["color"] == "#e8590c"
    for group in groups.values():
        assert contrast_ratio(group["color"], group["text"]) >= MINIMUM, group
