"""The territory from the real OpenStreetMap extract: parsing, import, wards, geocoder, demo."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from backoffice.models import StaffProfile
from care.models import EscalationLevel
from geo.geocode import format_address, nearest_street_name, reverse_geocode
from geo.importer import import_roads, load_territory
from geo.models import Area, BoundaryPiece, Department, Municipality, RoadSegment
from geo.osm import (
    Extract,
    Way,
    oneway_direction,
    parse_maxspeed,
    read_extract,
    split_ways,
)
from geo.querysets import inside_municipality
from geo.units import make_point
from geo.wards import build_wards, territory_boundary, ward_relations
from reports.models import Category, CategoryGroup, Issue, Question, Report, Status
from routing.models import CrewRoute, RoutePlan

EXTRACT = Path(settings.BASE_DIR) / "fixtures" / "osm" / "helsinki.osm.pbf"
CITY_CENTRE = (60.1699, 24.9384)
FAR_AWAY = (60.30, 25.20)
ON_MANNERHEIMINTIE = (60.16731, 24.94259)  # by Stockmann, on the carriageway
# Helsinki's districts as the extract names them (place nodes and admin relations).
DISTRICTS = {
    "Hakaniemi",
    "Kaartinkaupunki",
    "Kaisaniemi",
    "Kallio",
    "Kamppi",
    "Keskusta",
    "Kluuvi",
    "Kruununhaka",
    "Punavuori",
    "Siltasaari",
}


@pytest.fixture(scope="module")
def extract() -> Extract:
    return read_extract(EXTRACT)


@pytest.fixture
def local_cache(settings: object) -> None:
    """A private cache: the shared Redis one may hold answers from other tests' territories."""
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-territory",
        }
    }


# --- geo/osm.py on the real extract ---------------------------------------------------------


def test_extract_streets_are_cut_at_every_junction(extract: Extract) -> None:
    ends = {c for s in extract.segments for c in (s.coords[0], s.coords[-1])}
    inner = {c for s in extract.segments for c in s.coords[1:-1]}
    assert len(extract.segments) > 1000
    assert not inner & ends


def test_two_crossing_ways_become_four_segments() -> None:
    tags = {"highway": "residential", "name": "Via Roma"}
    ways = [
        Way(1, tags, [(10, (0.0, 0.0)), (11, (0.001, 0.0)), (12, (0.002, 0.0))]),
        Way(2, tags, [(20, (0.001, -0.001)), (11, (0.001, 0.0)), (21, (0.001, 0.001))]),
    ]
    segments = split_ways(ways)
    assert sorted((s.source, s.target) for s in segments) == [
        (10, 11),
        (11, 12),
        (11, 21),
        (20, 11),
    ]
    assert all(s.length_m == pytest.approx(111.2, abs=0.2) for s in segments)


def test_a_clipped_node_ends_the_street_at_the_extract_border() -> None:
    way = Way(1, {"highway": "primary"}, [(1, (0.0, 0.0)), (2, (0.001, 0.0)), (3, None)])
    assert [(s.source, s.target) for s in split_ways([way])] == [(1, 2)]


def test_kaivokatu_is_one_way_along_its_drawing(extract: Extract) -> None:
    kaivokatu = [s for s in extract.segments if s.name == "Kaivokatu"]
    assert kaivokatu
    assert all(s.oneway and s.drivable for s in kaivokatu)


def test_a_reverse_one_way_street_is_stored_in_its_driving_direction() -> None:
    way = Way(7, {"highway": "residential", "oneway": "-1"}, [(1, (0.0, 0.0)), (2, (0.0, 0.001))])
    [segment] = split_ways([way])
    assert segment.oneway
    assert (segment.source, segment.target) == (2, 1)
    assert segment.coords == ((0.0, 0.001), (0.0, 0.0))


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "true"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
    ],
)
def test_oneway_tags_give_the_driving_direction(tags: dict[str, str], direction: int) -> None:
    assert oneway_direction(tags) == direction


def test_named_pedestrian_streets_are_kept_but_not_drivable(extract: Extract) -> None:
    by_class = {s.highway for s in extract.segments}
    pedestrian = [s for s in extract.segments if s.highway == "pedestrian"]
    assert pedestrian
    assert all(s.name and not s.drivable and not s.oneway for s in pedestrian)
    assert "Aleksanterinkatu" in {s.name for s in pedestrian}
    assert not by_class & {"footway", "cycleway", "path", "steps", "platform", "construction"}
    assert {"primary", "secondary", "residential", "service"} <= by_class


@pytest.mark.parametrize(
    ("value", "highway", "kmh"),
    [
        ("50", "primary", 50),
        ("30 mph", "residential", 48),
        ("40;30", "secondary", 40),
        ("FI:urban", "primary", 50),
        ("walk", "living_street", 10),
        (None, "residential", 30),
        (None, "service", 20),
        (None, "primary", 50),
    ],
)
def test_maxspeed_is_read_in_kmh_with_class_defaults(
    value: str | None, highway: str, kmh: int
) -> None:
    assert parse_maxspeed(value, highway) == kmh


def test_maxspeed_tags_of_the_extract_are_used(extract: Extract) -> None:
    speeds = {s.maxspeed_kmh for s in extract.segments if s.drivable}
    assert {20, 30, 40} <= speeds


def test_wards_are_valid_polygons_named_after_real_districts(extract: Extract) -> None:
    boundary = territory_boundary(extract)
    wards = build_wards(EXTRACT, extract, boundary)
    assert len(wards) >= 4
    assert {w.name for w in wards} <= DISTRICTS
    assert all(w.geometry.is_valid and not w.geometry.is_empty for w in wards)
    assert sum(w.geometry.area for w in wards) == pytest.approx(boundary.area, rel=1e-6)


def test_ward_relations_cut_by_the_extract_border_are_not_used(extract: Extract) -> None:
    boundary = territory_boundary(extract)
    assert ward_relations(EXTRACT, boundary) == []
    assert {w.source for w in build_wards(EXTRACT, extract, boundary)} == {"voronoi"}


# --- geo/importer.py and the import_roads command -------------------------------------------


@pytest.mark.django_db
def test_import_roads_prints_counts_and_a_second_run_replaces() -> None:
    out = io.StringIO()
    call_command("import_roads", str(EXTRACT), stdout=out)
    first = RoadSegment.objects.count()
    call_command("import_roads", str(EXTRACT), stdout=out)
    drivable = RoadSegment.objects.filter(drivable=True).count()
    oneway = RoadSegment.objects.filter(oneway=True).count()
    assert RoadSegment.objects.count() == first > 1000
    assert (
        f"Imported {first} road segments ({drivable} drivable, {oneway} one-way" in out.getvalue()
    )


@pytest.mark.django_db
def test_imported_costs_close_one_way_and_pedestrian_directions() -> None:
    import_roads(EXTRACT)
    one_way = RoadSegment.objects.filter(name="Kaivokatu").first()
    two_way = RoadSegment.objects.filter(drivable=True, oneway=False).first()
    footpath = RoadSegment.objects.filter(highway="pedestrian").first()
    assert one_way and two_way and footpath
    assert one_way.cost_s == pytest.approx(one_way.length_m / (one_way.maxspeed_kmh / 3.6))
    assert one_way.reverse_cost_s == -1
    assert two_way.reverse_cost_s == two_way.cost_s > 0
    assert footpath.cost_s == footpath.reverse_cost_s == -1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [("garbage.osm.pbf", b"not a protobuf"), ("empty.osm.pbf", b""), ("roads.txt", b"x")],
)
def test_import_roads_refuses_a_bad_file_and_keeps_the_roads(
    tmp_path: Path, name: str, content: bytes
) -> None:
    import_roads(EXTRACT)
    before = RoadSegment.objects.count()
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=name):
        call_command("import_roads", str(bad))
    assert RoadSegment.objects.count() == before


@pytest.mark.django_db
def test_import_roads_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_roads", str(tmp_path / "nowhere.osm.pbf"))


@pytest.mark.django_db
def test_load_territory_builds_a_boundary_around_the_centre(extract: Extract) -> None:
    municipality = load_territory(EXTRACT, name="Helsinki", extract=extract)
    assert municipality.boundary.contains(make_point(*CITY_CENTRE))
    assert BoundaryPiece.objects.filter(municipality=municipality).exists()
    assert inside_municipality(make_point(*CITY_CENTRE))
    assert not inside_municipality(make_point(*FAR_AWAY))
    assert municipality.areas.filter(name="Kluuvi").exists()


@pytest.mark.django_db
def test_load_territory_again_replaces_instead_of_duplicating(extract: Extract) -> None:
    first = load_territory(EXTRACT, name="Helsinki", extract=extract)
    areas = set(Area.objects.values_list("pk", "code"))
    pieces = BoundaryPiece.objects.count()
    again = load_territory(EXTRACT, name="Helsinki", extract=extract)
    assert again.pk == first.pk
    assert Municipality.objects.count() == 1
    assert set(Area.objects.values_list("pk", "code")) == areas
    assert BoundaryPiece.objects.count() == pieces


# --- geo/geocode.py -------------------------------------------------------------------------


@pytest.mark.django_db
def test_offline_reverse_geocode_names_the_nearest_street(local_cache: None) -> None:
    import_roads(EXTRACT)
    assert reverse_geocode(*ON_MANNERHEIMINTIE) == "Mannerheimintie"
    assert reverse_geocode(*FAR_AWAY) == ""


@pytest.mark.django_db
def test_nearest_street_is_measured_in_metres() -> None:
    import_roads(EXTRACT)
    # About 220 m north of the northernmost street of the extract.
    north_of_network = (60.1791 + 0.002, 24.945)
    assert nearest_street_name(*north_of_network, max_m=100) == ""
    assert nearest_street_name(*north_of_network, max_m=400) != ""


@pytest.mark.django_db
def test_reverse_geocode_falls_back_offline_when_nominatim_fails(
    local_cache: None, settings: object
) -> None:
    import_roads(EXTRACT)
    settings.GEOCODER = "nominatim"  # type: ignore[attr-defined]
    settings.NOMINATIM_DOMAIN = "127.0.0.1:9"  # type: ignore[attr-defined]  # nothing listens
    settings.GEOCODER_TIMEOUT_S = 2  # type: ignore[attr-defined]
    assert reverse_geocode(*ON_MANNERHEIMINTIE) == "Mannerheimintie"


def test_nominatim_address_reads_road_number_and_suburb() -> None:
    parts = {"road": "Via Roma", "house_number": "12", "suburb": "Centro", "city": "Bari"}
    assert format_address(parts) == "Via Roma 12, Centro"
    assert format_address({"pedestrian": "Piazza Duomo"}) == "Piazza Duomo"
    assert format_address({}) == ""


# --- the demo -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_demo_builds_the_city_once(same_day: dt.date) -> None:
    out = io.StringIO()
    call_command("load_demo", reports=40, stdout=out)
    municipality = Municipality.objects.get()
    assert "Demo loaded" in out.getvalue()
    assert Department.objects.filter(depots__crews__isnull=False).distinct().count() >= 5
    assert set(CategoryGroup.objects.values_list("code", flat=True)) == {
        "roads",
        "lighting",
        "waste",
        "green",
        "safety",
        "digital",
        "other",
    }
    assert Category.objects.count() >= 20
    redirected = Category.objects.filter(handled_by_municipality=False)
    assert redirected.count() >= 2
    assert all(c.redirect_body and c.redirect_instructions_en for c in redirected)
    assert set(Question.objects.values_list("kind", flat=True)) == set(Question.Kind.values)
    assert Report.objects.count() == 40
    assert Issue.objects.filter(status=Status.CLOSED).exists()
    outside = Report.objects.exclude(location__within=municipality.boundary)
    assert not outside.exists()
    assert Report.objects.filter(photos__isnull=False).exists()
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
    assert EscalationLevel.objects.filter(email="direzione@comune.example").exists()
    assert {p.role for p in StaffProfile.objects.all()} == {"operator", "coordinator"}
    member = get_user_model().objects.get(username="squadra", is_staff=False)
    [crew] = member.crews.all()
    route = CrewRoute.objects.get(crew=crew, plan__date=same_day)
    assert route.stops.exists()
    plans = RoutePlan.objects.count()

    call_command("load_demo", stdout=out)
    assert "not loaded" in out.getvalue()
    assert RoutePlan.objects.count() == plans  # today's routes are planned once
    assert Report.objects.count() == 40
    assert Municipality.objects.count() == 1
