"""Spatial look-ups of the territory used on the submission path."""

from django.contrib.gis.geos import Point
from django.db.models import Q, QuerySet

from geo.models import Area, BoundaryPiece, Department


def inside_municipality(point: Point) -> bool:
    """Tell whether a WGS84 point lies inside a loaded municipality boundary.

    Uses the subdivided pieces (geo_boundarypiece_geom_gist) so the test touches a few
    small polygons instead of the whole boundary.
    """
    return BoundaryPiece.objects.filter(geometry__intersects=point).exists()


def area_at(point: Point) -> Area | None:
    """Return the area (ward) holding a WGS84 point, if any (geo_area_geom_gist)."""
    return Area.objects.filter(geometry__intersects=point).order_by("pk").first()


def departments_competent_at(area: Area | None) -> QuerySet[Department]:
    """Departments whose competence covers `area` (no areas listed = the whole territory)."""
    whole = Q(areas__isnull=True)
    return Department.objects.filter(whole | Q(areas=area) if area else whole).distinct()
