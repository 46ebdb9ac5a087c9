"""The native REST API, /api/v1/. Reads are public; nothing here exposes personal data."""

import math
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from geo.querysets import area_at, inside_municipality
from geo.units import WGS84, make_point
from reports.actions import PhotoStorageError, submit_report
from reports.models import Issue, PublicStatus, Report
from reports.querysets import (
    active_categories,
    categories_offered,
    in_bbox,
    public_issues,
    public_photos,
    public_timeline,
    with_public_status,
)
from reports.serializers import (
    CategorySerializer,
    FiniteFloatField,
    IssueFeatureSerializer,
    PublicIssueSerializer,
    PublicReportSerializer,
    ReportSubmissionSerializer,
    SubmissionResultSerializer,
)


class ReportCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request=ReportSubmissionSerializer,
        responses={201: SubmissionResultSerializer},
        summary="Submit a report",
        description="File a citizen's report with up to 5 photos. The report joins an issue; "
        "the answer carries the public tracking code.",
    )
    def post(self, request: Request) -> Response:
        serializer = ReportSubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        try:
            report = submit_report(serializer.to_new_report(language=language, user=request.user))
        except PhotoStorageError:
            return Response(
                {"detail": _("Your photos could not be stored just now. Please send again.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(submission_result(report), status=status.HTTP_201_CREATED)


def submission_result(report: Report) -> dict[str, Any]:
    issue = report.issue
    return {
        "id": report.pk,
        "tracking_code": report.tracking_code,
        "issue": issue.pk,
        "status": issue.public_status,
        "report_count": issue.report_count,
        "tracking_url": reverse("track", args=[report.tracking_code]),
        "emergency_number": settings.EMERGENCY_NUMBER if report.emergency else None,
    }


class ReportDetailView(generics.RetrieveAPIView):
    serializer_class = PublicReportSerializer

    def get_queryset(self) -> QuerySet[Report]:
        return (
            Report.objects.filter(hidden=False, issue__hidden=False)
            .select_related("category")
            .prefetch_related("photos")
        )


class IssueDetailView(generics.RetrieveAPIView):
    serializer_class = PublicIssueSerializer

    def get_queryset(self) -> QuerySet[Issue]:
        return (
            public_issues()
            .select_related("category__group")
            .prefetch_related(
                Prefetch(
                    "reports",
                    queryset=Report.objects.select_related("category")
                    .prefetch_related(Prefetch("photos", queryset=public_photos()))
                    .order_by("created_at"),
                ),
                Prefetch("timeline", queryset=public_timeline()),
            )
        )


class IssuePagination(GeoJsonPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000


def parse_bbox(raw: str) -> Polygon:
    """Parse 'minlon,minlat,maxlon,maxlat' into a WGS84 polygon, or raise ValidationError."""
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValidationError({"bbox": [_("Give bbox as minlon,minlat,maxlon,maxlat.")]})
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValidationError({"bbox": [_("The bbox corners are out of range or swapped.")]})
    bbox = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    bbox.srid = WGS84
    return bbox


def comma_list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@extend_schema(
    parameters=[
        OpenApiParameter("bbox", OpenApiTypes.STR, description="minlon,minlat,maxlon,maxlat"),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            description="Comma list of open, under_review, closed. Default: open,under_review.",
        ),
        OpenApiParameter("category", OpenApiTypes.STR, description="Comma list of codes."),
    ],
    summary="Issues on the map (GeoJSON)",
)
class IssueListView(generics.ListAPIView):
    serializer_class = IssueFeatureSerializer
    pagination_class = IssuePagination

    def get_queryset(self) -> QuerySet[Issue]:
        params = self.request.query_params
        statuses = comma_list(params.get("status")) or [
            PublicStatus.OPEN.value,
            PublicStatus.UNDER_REVIEW.value,
        ]
        unknown = [s for s in statuses if s not in PublicStatus.values]
        if unknown:
            raise ValidationError(
                {"status": [_("Unknown status: %(s)s.") % {"s": ", ".join(unknown)}]}
            )
        issues = with_public_status(public_issues(), statuses)
        if params.get("bbox"):
            issues = in_bbox(issues, parse_bbox(params["bbox"]))
        codes = comma_list(params.get("category"))
        if codes:
            issues = issues.filter(category__code__in=codes)
        return issues.select_related("category__group").order_by("-priority", "id")


@extend_schema(
    parameters=[
        OpenApiParameter("lat", OpenApiTypes.DOUBLE),
        OpenApiParameter("lon", OpenApiTypes.DOUBLE),
    ],
    summary="Categories offered (at a place)",
)
class CategoryListView(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        params = self.request.query_params
        if "lat" not in params and "lon" not in params:
            return active_categories()
        errors = {}
        coordinates = {}
        for name, limit in (("lat", 90), ("lon", 180)):
            field = FiniteFloatField(min_value=-limit, max_value=limit)
            try:
                coordinates[name] = field.run_validation(params.get(name))
            except ValidationError as exc:
                errors[name] = exc.detail
        if errors:
            raise ValidationError(errors)
        point = make_point(coordinates["lat"], coordinates["lon"])
        if not inside_municipality(point):
            raise ValidationError(
                {"location": [_("This place is outside the municipality's territory.")]}
            )
        return categories_offered(area_at(point))
