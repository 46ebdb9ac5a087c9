"""A city loads its own boundary and wards from GIS files, and its roads clipped to them
(real PostGIS, real GDAL: the files are converted with ogr2ogr, a system package of Segnala)."""

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from backoffice.models import AssignmentRule
from geo.models import Area, BoundaryPiece, Department, Municipality, RoadSegment
from geo.querysets import place_at
from geo.units import make_point

EXTRACT = Path(settings.BASE_DIR) / "fixtures" / "osm" / "helsinki.osm.pbf"
NAME = "Comune di Vignola"
# Vignola's centre, a square of about 3.2 x 3.3 km, cut in a west and an east ward.
WEST, EAST, SOUTH, NORTH, MIDDLE = 10.98, 11.02, 44.47, 44.50, 11.0
IN_WEST, IN_EAST, OUTSIDE = (44.48, 10.99), (44.48, 11.01), (44.60, 11.2)


def ring(west: float, south: float, east: float, north: float) -> list[list[list[float]]]:
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def polygon(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": ring(west, south, east, north)}


def geojson(
    path: Path, *features: tuple[dict[str, Any], dict[str, Any]], crs: str | None = None
) -> Path:
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geometry}
            for props, geometry in features
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection))
    return path


def boundary_file(tmp_path: Path) -> Path:
    props = {"COMUNE": "Vignola", "PRO_COM_T": "036046"}
    return geojson(tmp_path / "comune.geojson", (props, polygon(WEST, SOUTH, EAST, NORTH)))


def wards_file(tmp_path: Path, *wards: tuple[str, str, float, float]) -> Path:
    features = [
        ({"NOME": name, "COD": code}, polygon(west, SOUTH, east, NORTH))
        for name, code, west, east in wards
    ]
    file_name = "-".join(f"{name}{code}" for name, code, _, _ in wards)
    return geojson(tmp_path / f"{file_name}.geojson", *features)


def ogr2ogr(source: Path, target: Path, *options: str) -> Path:
    subprocess.run(["ogr2ogr", *options, str(target), str(source)], check=True)
    return target


def load_boundary(path: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command("load_boundary", str(path), stdout=out, **{"name": NAME, **options})
    return out.getvalue()


def load_wards(path: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command("load_wards", str(path), stdout=out, **{"name_field": "NOME", **options})
    return out.getvalue()


def territory_state() -> tuple[Any, ...]:
    return (
        [(m.name, m.boundary.wkt) for m in Municipality.objects.order_by("pk")],
        BoundaryPiece.objects.count(),
        sorted(Area.objects.values_list("pk", "code", "name")),
    )


# --- load_boundary --------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_boundary_makes_the_municipality_from_a_geojson(tmp_path: Path) -> None:
    out = load_boundary(boundary_file(tmp_path), istat_code="036046")

    municipality = Municipality.objects.get()
    assert (municipality.name, municipality.istat_code) == (NAME, "036046")
    assert BoundaryPiece.objects.filter(municipality=municipality).exists()
    assert place_at(make_point(*IN_WEST))[0]
    assert not place_at(make_point(*OUTSIDE))[0]
    assert f"Boundary of {NAME} loaded from 1 features" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("suffix", "options"),
    [
        (".shp", ["-t_srs", "EPSG:32632"]),  # UTM 32N, as the ISTAT files
        (".gpkg", ["-f", "GPKG", "-t_srs", "EPSG:3003"]),  # Monte Mario / Italy zone 1
    ],
)
def test_load_boundary_reprojects_a_shapefile_or_geopackage_to_wgs84(
    tmp_path: Path, suffix: str, options: list[str]
) -> None:
    projected = ogr2ogr(boundary_file(tmp_path), tmp_path / f"comune{suffix}", *options)

    load_boundary(projected)

    west, south, east, north = Municipality.objects.get().boundary.extent
    assert (west, south, east, north) == pytest.approx((WEST, SOUTH, EAST, NORTH), abs=1e-5)


@pytest.mark.django_db
def test_load_boundary_picks_one_comune_of_a_national_file(tmp_path: Path) -> None:
    national = geojson(
        tmp_path / "comuni.geojson",
        ({"PRO_COM_T": "036046"}, polygon(WEST, SOUTH, EAST, NORTH)),
        ({"PRO_COM_T": "036045"}, polygon(11.1, 44.6, 11.3, 44.7)),
    )

    load_boundary(national, where="PRO_COM_T=036046")

    assert Municipality.objects.get().boundary.extent == pytest.approx((WEST, SOUTH, EAST, NORTH))
    assert not place_at(make_point(44.65, 11.2))[0]


@pytest.mark.django_db
def test_an_invalid_boundary_is_repaired_not_stored_broken(tmp_path: Path) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[WEST, SOUTH], [EAST, NORTH], [EAST, SOUTH], [WEST, NORTH], [WEST, SOUTH]]
        ],
    }
    load_boundary(geojson(tmp_path / "bowtie.geojson", ({}, bowtie)))

    boundary = Municipality.objects.get().boundary
    assert boundary.valid
    assert place_at(make_point(44.485, 10.985))[0] and place_at(make_point(44.485, 11.015))[0]


@pytest.mark.django_db
def test_loading_the_boundary_again_replaces_it(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))
    first = Municipality.objects.get()
    smaller = geojson(tmp_path / "smaller.geojson", ({}, polygon(WEST, SOUTH, MIDDLE, NORTH)))

    load_boundary(smaller)

    assert Municipality.objects.get().pk == first.pk
    assert place_at(make_point(*IN_WEST))[0] and not place_at(make_point(*IN_EAST))[0]


def bad_boundary_files(tmp_path: Path) -> dict[str, tuple[Path, dict[str, str], str]]:
    good = boundary_file(tmp_path)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("{not json")
    points = geojson(tmp_path / "points.geojson", ({}, {"type": "Point", "coordinates": [11, 44]}))
    metres = geojson(
        tmp_path / "metres.geojson", ({}, polygon(650_000, 4_925_000, 653_000, 4_928_000))
    )
    no_prj = ogr2ogr(good, tmp_path / "noprj.shp", "-t_srs", "EPSG:32632")
    no_prj.with_suffix(".prj").unlink()
    return {
        "missing": (tmp_path / "nowhere.geojson", {}, "no such file"),
        "garbage": (garbage, {}, "not a GIS file GDAL can read"),
        "points": (points, {}, "a Point, not a polygon"),
        "metres": (metres, {}, "not longitude and latitude"),
        "no_prj": (no_prj, {}, "no coordinate reference system"),
        "no_match": (good, {"where": "PRO_COM_T=999999"}, "no feature with PRO_COM_T = '999999'"),
        "no_field": (good, {"where": "NOPE=1"}, "no field 'NOPE'"),
        "istat": (good, {"istat_code": "36046"}, "expected 6 digits"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", ["missing", "garbage", "points", "metres", "no_prj", "no_match", "no_field", "istat"]
)
def test_a_bad_boundary_file_is_refused_and_the_territory_kept(tmp_path: Path, case: str) -> None:
    load_boundary(boundary_file(tmp_path))
    before = territory_state()
    path, options, message = bad_boundary_files(tmp_path)[case]

    with pytest.raises(CommandError, match=message):
        load_boundary(path, **options)

    assert territory_state() == before


@pytest.mark.django_db
def test_load_boundary_refuses_to_add_a_second_municipality(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path), name="Helsinki (demo)")
    before = territory_state()

    with pytest.raises(CommandError, match=r"another municipality is loaded \(Helsinki"):
        load_boundary(boundary_file(tmp_path))

    assert territory_state() == before


# --- load_wards -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_wards_makes_one_ward_per_feature(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))

    out = load_wards(
        wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE), ("Brodano", "2", MIDDLE, EAST)),
        code_field="COD",
    )

    assert sorted(Area.objects.values_list("code", "name")) == [("1", "Centro"), ("2", "Brodano")]
    west = place_at(make_point(*IN_WEST))[1]
    assert west is not None and west.name == "Centro"
    assert f"Wards of {NAME}: 2 new, 0 updated." in out


@pytest.mark.django_db
def test_loading_wards_again_keeps_known_codes_and_removes_the_rest(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))
    load_wards(wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE), ("Brodano", "2", MIDDLE, EAST)))
    centro = Area.objects.get(name="Centro")

    out = load_wards(wards_file(tmp_path, ("Centro", "1", WEST, EAST)))

    assert list(Area.objects.values_list("pk", "name")) == [(centro.pk, "Centro")]
    east = place_at(make_point(*IN_EAST))[1]
    assert east is not None and east.pk == centro.pk
    assert "0 new, 1 updated; removed: Brodano." in out


@pytest.mark.django_db
def test_a_bad_wards_file_is_refused_and_the_wards_kept(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))
    load_wards(wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE), ("Brodano", "2", MIDDLE, EAST)))
    brodano = Area.objects.get(name="Brodano")
    department = Department.objects.create(code="verde", name="Verde pubblico")
    department.areas.add(brodano)
    before = territory_state()
    both = wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE), ("Centro", "2", MIDDLE, EAST))
    far = geojson(tmp_path / "far.geojson", ({"NOME": "Altrove"}, polygon(12, 45, 12.1, 45.1)))
    cases = [
        (both, {"name_field": "QUARTIERE"}, "no field 'QUARTIERE'; fields: NOME, COD"),
        (both, {}, "code 'centro' also belongs to 'Centro'"),
        (far, {}, "ward 'Altrove' lies outside the boundary"),
        (wards_file(tmp_path, ("Centro", "1", WEST, EAST)), {}, "still used \\(Verde pubblico\\)"),
    ]

    for path, options, message in cases:
        with pytest.raises(CommandError, match=message):
            load_wards(path, **options)

    assert territory_state() == before


@pytest.mark.django_db
def test_a_ward_an_assignment_rule_uses_is_not_removed(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))
    load_wards(wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE), ("Brodano", "2", MIDDLE, EAST)))
    department = Department.objects.create(code="strade", name="Strade")
    AssignmentRule.objects.create(area=Area.objects.get(name="Brodano"), department=department)

    with pytest.raises(CommandError, match="an assignment rule"):
        load_wards(wards_file(tmp_path, ("Centro", "1", WEST, EAST)))

    assert Area.objects.count() == 2


@pytest.mark.django_db
def test_load_wards_needs_a_boundary_first(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="load the boundary first"):
        load_wards(wards_file(tmp_path, ("Centro", "1", WEST, MIDDLE)))


# --- import_roads, clipped to the boundary ---------------------------------------------------

# A square of about 1 km around Helsinki's railway station, in the demo extract.
STATION_WEST, STATION_SOUTH, STATION_EAST, STATION_NORTH = 24.935, 60.167, 24.950, 60.176


@pytest.mark.django_db
def test_import_roads_keeps_only_the_streets_near_the_boundary(tmp_path: Path) -> None:
    square = polygon(STATION_WEST, STATION_SOUTH, STATION_EAST, STATION_NORTH)
    load_boundary(geojson(tmp_path / "centre.geojson", ({}, square)), name="Helsinki")
    call_command("import_roads", str(EXTRACT), all=True, stdout=io.StringIO())
    everything = RoadSegment.objects.count()
    out = io.StringIO()

    call_command("import_roads", str(EXTRACT), margin_m=100, stdout=out)

    kept = RoadSegment.objects.count()
    assert 0 < kept < everything
    assert f"{everything - kept} segments outside the municipality left out." in out.getvalue()
    # Each kept street touches the square grown by 100 m (0.0018 degrees of longitude here),
    # and the margin keeps streets that cross the boundary.
    boundary = Municipality.objects.get().boundary
    assert not RoadSegment.objects.exclude(geometry__dwithin=(boundary, 0.003)).exists()
    assert RoadSegment.objects.exclude(geometry__within=boundary).exists()


@pytest.mark.django_db
def test_import_roads_without_a_boundary_keeps_everything_and_says_so() -> None:
    out = io.StringIO()
    call_command("import_roads", str(EXTRACT), stdout=out)
    assert "No municipality boundary is loaded: keeping every street" in out.getvalue()
    assert RoadSegment.objects.count() > 1000


@pytest.mark.django_db
def test_import_roads_refuses_an_extract_outside_the_municipality(tmp_path: Path) -> None:
    load_boundary(boundary_file(tmp_path))  # Vignola; the extract is Helsinki

    with pytest.raises(CommandError, match="no street of the extract is inside the municipality"):
        call_command("import_roads", str(EXTRACT), stdout=io.StringIO())

    assert not RoadSegment.objects.exists()
