"""The territory: the municipality, its areas, its streets, the bodies that act on it.

SRID policy (see geo/units.py): every geometry is stored in WGS84 (SRID 4326); metres are
computed on geography casts or in the local metric projection, never on degrees.
"""

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geo.units import WGS84


class Translated(models.Model):
    """Content typed by the municipality in Italian and English; `name` follows the language."""

    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return localized(self.name_it, self.name_en)

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=200)
    istat_code = models.CharField(_("ISTAT code"), max_length=6, blank=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=WGS84)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class BoundaryPiece(models.Model):
    """A small piece of a municipality's boundary (ST_Subdivide) for fast point-in-polygon.

    Rebuilt by geo.importer.subdivide_boundary whenever the boundary changes.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="pieces")
    geometry = models.PolygonField(srid=WGS84, spatial_index=False)

    class Meta:
        indexes = [
            # "Is this point inside the municipality?" on every submission.
            GistIndex(fields=["geometry"], name="geo_boundarypiece_geom_gist"),
        ]


class Area(models.Model):
    """A ward (quartiere, municipio, circoscrizione) of the municipality."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    geometry = models.MultiPolygonField(_("geometry"), srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="area_code_per_municipality"
            )
        ]
        indexes = [
            # Which area holds a report's point (assignment rules, statistics).
            GistIndex(fields=["geometry"], name="geo_area_geom_gist"),
        ]

    def __str__(self) -> str:
        return self.name


class ExternalBody(models.Model):
    """A body outside the municipality that receives forwarded issues: utility, waste company..."""

    class Kind(models.TextChoices):
        UTILITY = "utility", _("utility")
        WASTE = "waste", _("waste company")
        AUTHORITY = "authority", _("other authority")
        CONTRACTOR = "contractor", _("contractor")
        OTHER = "other", _("other")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    response_days = models.PositiveSmallIntegerField(
        _("answer expected within (working days)"), default=10
    )

    class Meta:
        verbose_name = _("external body")
        verbose_name_plural = _("external bodies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """An office of the municipality that fixes issues; competent where its areas say."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    areas = models.ManyToManyField(
        Area,
        blank=True,
        related_name="departments",
        verbose_name=_("areas of competence"),
        help_text=_("Leave empty when the department covers the whole municipality."),
    )
    contractor = models.ForeignKey(
        ExternalBody,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
        verbose_name=_("works through"),
        help_text=_("The external company that does the field work, when there is one."),
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_email = models.EmailField(_("emergency e-mail"), blank=True)
    emergency_phone = models.CharField(_("emergency phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Depot(models.Model):
    """Where a department's crews start and end their shifts."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="depots")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    location = models.PointField(_("location"), srid=WGS84)

    class Meta:
        verbose_name = _("depot")
        verbose_name_plural = _("depots")

    def __str__(self) -> str:
        return self.name


class RoadSegment(models.Model):
    """A piece of street between two junctions, imported from OpenStreetMap.

    It names the street for offline reverse geocoding and is an edge of the routing graph
    (source/target are OSM node ids; pgRouting reads cost_s/reverse_cost_s, negative = closed).
    """

    osm_way_id = models.BigIntegerField()
    name = models.CharField(max_length=200, blank=True)
    highway = models.CharField(max_length=40)
    oneway = models.BooleanField(default=False)
    drivable = models.BooleanField(default=True)
    maxspeed_kmh = models.PositiveSmallIntegerField()
    source = models.BigIntegerField()
    target = models.BigIntegerField()
    length_m = models.FloatField()
    cost_s = models.FloatField()
    reverse_cost_s = models.FloatField()
    geometry = models.LineStringField(srid=WGS84, spatial_index=False)

    class Meta:
        indexes = [
            # Snapping routing stops to the network.
            GistIndex(fields=["geometry"], name="geo_roadsegment_geom_gist"),
            # Nearest named street to a point (the offline geocoder filters on name <> '').
            GistIndex(F("geometry"), name="geo_roadsegment_named_gist", condition=~Q(name="")),
        ]

    def __str__(self) -> str:
        return self.name or f"way {self.osm_way_id}"


def localized(text_it: str, text_en: str) -> str:
    """Pick the English text when the active language is English and it exists."""
    if (get_language() or "it").startswith("en") and text_en:
        return text_en
    return text_it
