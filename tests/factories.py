"""Factories for tests: a small square territory around central Helsinki and its catalogue."""

import io
import math
from dataclasses import dataclass
from pathlib import Path

import factory
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from PIL import Image

from geo.models import (
    Area,
    BoundaryPiece,
    Department,
    Depot,
    ExternalBody,
    Municipality,
    RoadSegment,
)
from geo.units import WGS84, make_point
from reports.models import Category, CategoryGroup, Question

# A 2.2 km x 2.2 km square around Helsinki's centre, split in a west and an east area.
CENTRE_LAT, CENTRE_LON = 60.1699, 24.9384
HALF_LAT, HALF_LON = 0.01, 0.02
INSIDE = (CENTRE_LAT, CENTRE_LON)
OUTSIDE = (60.30, 25.20)


def square(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Polygon:
    polygon = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    polygon.srid = WGS84
    return polygon


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        skip_postgeneration_save = True

    name = "Testville"
    boundary = factory.LazyFunction(
        lambda: MultiPolygon(
            square(
                CENTRE_LON - HALF_LON,
                CENTRE_LAT - HALF_LAT,
                CENTRE_LON + HALF_LON,
                CENTRE_LAT + HALF_LAT,
            ),
            srid=WGS84,
        )
    )

    @factory.post_generation
    def pieces(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            for polygon in self.boundary:
                BoundaryPiece.objects.create(municipality=self, geometry=polygon)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    email = factory.LazyAttribute(lambda o: f"{o.code}@comune.example")
    emergency_email = factory.LazyAttribute(lambda o: f"{o.code}-emergency@comune.example")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryGroup
        django_get_or_create = ("code",)

    code = "roads"
    name_it = factory.LazyAttribute(lambda o: o.code)
    name_en = factory.LazyAttribute(lambda o: o.code)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name_it = factory.LazyAttribute(lambda o: f"{o.code} (it)")
    name_en = factory.LazyAttribute(lambda o: f"{o.code} (en)")
    group = factory.SubFactory(GroupFactory)
    department = factory.SubFactory(DepartmentFactory, code="roads")
    base_severity = 3
    sla_working_days = 10
    duplicate_radius_m = 25


@dataclass
class Territory:
    municipality: Municipality
    west: Area
    east: Area
    roads: Department
    lighting: Department
    pothole: Category
    streetlight: Category
    gas_leak: Category
    east_only: Category


def make_territory() -> Territory:
    """Build the test territory: two areas, two departments, four categories."""
    municipality = MunicipalityFactory()
    west = Area.objects.create(
        municipality=municipality,
        code="west",
        name="West",
        geometry=MultiPolygon(
            square(CENTRE_LON - HALF_LON, CENTRE_LAT - HALF_LAT, CENTRE_LON, CENTRE_LAT + HALF_LAT),
            srid=WGS84,
        ),
    )
    east = Area.objects.create(
        municipality=municipality,
        code="east",
        name="East",
        geometry=MultiPolygon(
            square(CENTRE_LON, CENTRE_LAT - HALF_LAT, CENTRE_LON + HALF_LON, CENTRE_LAT + HALF_LAT),
            srid=WGS84,
        ),
    )
    roads = DepartmentFactory(code="roads", name="Roads")
    lighting = DepartmentFactory(code="lighting", name="Lighting")
    Depot.objects.create(department=roads, name="Roads depot", location=make_point(*INSIDE))
    utility = ExternalBody.objects.create(
        code="gas-co", name="Gas Co", kind=ExternalBody.Kind.UTILITY, phone="800 900 900"
    )
    pothole = CategoryFactory(
        code="pothole", name_it="Buca stradale", name_en="Pothole", base_severity=3
    )
    Question.objects.create(
        category=pothole,
        code="size",
        label_it="Quanto è grande?",
        label_en="How big is it?",
        kind=Question.Kind.CHOICE,
        required=True,
        choices=[
            {"key": "small", "it": "Piccola", "en": "Small"},
            {"key": "large", "it": "Grande", "en": "Large"},
        ],
        order=1,
    )
    Question.objects.create(
        category=pothole,
        code="depth_cm",
        label_it="Profondità (cm)",
        label_en="Depth (cm)",
        kind=Question.Kind.NUMBER,
        required=False,
        order=2,
    )
    streetlight = CategoryFactory(
        code="streetlight",
        name_it="Lampione spento",
        name_en="Street light out",
        group=GroupFactory(code="lighting"),
        department=lighting,
        base_severity=2,
    )
    gas_leak = CategoryFactory(
        code="gas-leak",
        name_it="Fuga di gas",
        name_en="Gas leak",
        group=GroupFactory(code="safety"),
        department=None,
        handled_by_municipality=False,
        redirect_body=utility,
        redirect_instructions_it="Chiama subito il pronto intervento gas: 800 900 900.",
        redirect_instructions_en="Call the gas emergency line now: 800 900 900.",
    )
    east_only = CategoryFactory(
        code="east-bins", name_en="East bins", group=GroupFactory(code="waste")
    )
    east_only.areas.add(east)
    return Territory(
        municipality, west, east, roads, lighting, pothole, streetlight, gas_leak, east_only
    )


def jpeg_bytes(size: tuple[int, int] = (800, 600), color: str = "#777777") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def moved(
    origin: tuple[float, float], metres_north: float = 0.0, metres_east: float = 0.0
) -> tuple[float, float]:
    """Return the (lat, lon) a few metres north/east of `origin`."""
    lat, lon = origin
    return (
        lat + metres_north / 111_320,
        lon + metres_east / (111_320 * math.cos(math.radians(lat))),
    )


def street(name: str, lat: float, lon: float) -> RoadSegment:
    """A 110 m east-west street through (lat, lon), for the offline geocoder."""
    line = LineString((lon - 0.001, lat), (lon + 0.001, lat), srid=WGS84)
    return RoadSegment.objects.create(
        osm_way_id=1,
        name=name,
        highway="residential",
        maxspeed_kmh=30,
        source=1,
        target=2,
        length_m=110,
        cost_s=13,
        reverse_cost_s=13,
        geometry=line,
    )


def confirm_addresses(support_issue_id: int | None = None) -> None:
    """Confirm every address nobody has confirmed yet, as their owners following the link
    (of a "me too" for `support_issue_id`, when given)."""
    from reports.actions import confirm_reporter
    from reports.models import Reporter

    pending = Reporter.objects.filter(confirmed_at__isnull=True, user=None).exclude(email="")
    for pk in pending.order_by("pk").values_list("pk", flat=True):
        confirm_reporter(pk, support_issue_id)
