"""The native REST API, /api/v1/. Reads are public; nothing here exposes personal data."""

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from backoffice import roles
from backoffice.permissions import StaffVerb, issue_for
from backoffice.roles import Verb
from clustering.actions import ClusteringRefused, merge_issues, split_reports
from clustering.candidates import nearby_open_issues
from config.client_address import client_address
from config.ids import parse_id
from config.params import comma_lists
from geo.geocode import forward_geocode, reverse_geocode, street_position
from geo.models import localized
from geo.querysets import inside_municipality, place_at
from geo.units import WGS84, make_point
from reports.actions import IssueClosed, PhotoStorageError, submit_report, support_issue
from reports.models import Issue, PublicStatus, Report, SubmissionKey, public_status
from reports.querysets import (
    active_categories,
    categories_offered,
    in_bbox,
    public_issues,
    public_photos,
    public_summaries,
    public_timeline,
    with_public_status,
)
from reports.serializers import (
    AddressQuerySerializer,
    AddressSerializer,
    CategorySerializer,
    ClusteringResultSerializer,
    FiniteFloatField,
    IssueFeatureSerializer,
    MergeSerializer,
    NearbyQuerySerializer,
    NearbyResultSerializer,
    PlaceQuerySerializer,
    PublicIssueSerializer,
    PublicReportSerializer,
    ReportSubmissionSerializer,
    SplitSerializer,
    SubmissionResultSerializer,
    SupportResultSerializer,
    SupportSerializer,
)
from reports.throttles import GeocodeThrottle, SubmissionView, SupportThrottle


class ReportCreateView(SubmissionView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request=ReportSubmissionSerializer,
        responses={201: SubmissionResultSerializer, 200: SubmissionResultSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="A key the client makes up for this submission (8-100 letters, "
                "digits or - _ . :); sent again with a retry, the answer is the report already "
                "filed (200), not a second one.",
            )
        ],
        summary="Submit a report",
        description="File a citizen's report with up to 5 photos. The report joins an issue; "
        "the answer carries the public tracking code.",
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key(request)
        if key and (earlier := _report_for_key(key)) is not None:
            return Response(submission_result(earlier), status=status.HTTP_200_OK)
        serializer = ReportSubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        new = serializer.to_new_report(language=language, user=request.user)
        try:
            report = submit_report(replace(new, idempotency_key=key))
        except PhotoStorageError:
            return Response(
                {"detail": _("Your photos could not be stored just now. Please send again.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        except IntegrityError:
            # The same key arrived twice at once: the other request filed it.
            earlier = _report_for_key(key) if key else None
            if earlier is None:
                raise
            return Response(submission_result(earlier), status=status.HTTP_200_OK)
        return Response(submission_result(report), status=status.HTTP_201_CREATED)


IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


def idempotency_key(request: Request) -> str:
    """The Idempotency-Key header ("" when absent); 400 when it is malformed."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ValidationError(
            {
                "idempotency_key": [
                    _("The Idempotency-Key header must be 8-100 letters, digits or - _ . :")
                ]
            }
        )
    return key


def _report_for_key(key: str) -> Report | None:
    found = SubmissionKey.objects.filter(key=key).select_related("report__issue").first()
    return found.report if found else None


def submission_result(report: Report) -> dict[str, Any]:
    issue = report.issue
    return {
        "id": report.pk,
        "tracking_code": report.tracking_code,
        "issue": issue.pk,
        "status": issue.public_status,
        "report_count": issue.report_count,
        "joined": bool(report.match.get("joined")),
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
                    # Hidden reports are not even read (the serializer drops them too).
                    queryset=Report.objects.filter(hidden=False)
                    .select_related("category")
                    .prefetch_related(Prefetch("photos", queryset=public_photos()))
                    .order_by("created_at"),
                ),
                Prefetch("timeline", queryset=public_timeline()),
            )
        )


class IssuePagination(GeoJsonPagination):
    """Pages of the issue list; a bad page or page_size is a 400 (DRF silently used the default)."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def get_page_size(self, request: Request) -> int:
        raw = single_param(request.query_params, "page_size")
        if raw is None:
            return self.page_size
        size = parse_id(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    "page_size": [
                        _("page_size is a whole number from 1 to %(n)d.")
                        % {"n": self.max_page_size}
                    ]
                }
            )
        return size

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = single_param(request.query_params, "page")
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        page = parse_id(raw)
        if page is None or page < 1:
            raise ValidationError({"page": [_("page is a whole number from 1, or last.")]})
        return page  # past the last page: DRF's 404 "Invalid page."


def single_param(params: Any, name: str) -> str | None:
    """The one value of a query parameter (None when absent or blank); 400 when given twice."""
    values = params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [_("Give %(name)s once.") % {"name": name}]})
    return (values[0].strip() or None) if values else None


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


@extend_schema(
    parameters=[
        OpenApiParameter("bbox", OpenApiTypes.STR, description="minlon,minlat,maxlon,maxlat"),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            description="Comma list of open, under_review, closed (repeating the parameter "
            "adds to the list). Default: open,under_review.",
        ),
        OpenApiParameter(
            "category",
            OpenApiTypes.STR,
            description="Comma list of codes (repeating the parameter adds to the list).",
        ),
    ],
    summary="Issues on the map (GeoJSON)",
)
class IssueListView(generics.ListAPIView):
    serializer_class = IssueFeatureSerializer
    pagination_class = IssuePagination

    def get_queryset(self) -> QuerySet[Issue]:
        params = self.request.query_params
        statuses = comma_lists(params, "status") or [
            PublicStatus.OPEN.value,
            PublicStatus.UNDER_REVIEW.value,
        ]
        unknown = [s for s in statuses if s not in PublicStatus.values]
        if unknown:
            raise ValidationError(
                {"status": [_("Unknown status: %(s)s.") % {"s": ", ".join(unknown)}]}
            )
        issues = with_public_status(public_issues(), statuses)
        bbox = single_param(params, "bbox")
        if bbox:
            issues = in_bbox(issues, parse_bbox(bbox))
        codes = comma_lists(params, "category")
        if codes:
            # A code with NUL matches no category, and PostgreSQL refuses NUL in a query.
            issues = issues.filter(category__code__in=[c for c in codes if "\x00" not in c])
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
        inside, area = place_at(make_point(coordinates["lat"], coordinates["lon"]))
        if not inside:
            raise ValidationError(
                {"location": [_("This place is outside the municipality's territory.")]}
            )
        return categories_offered(area)


class IssueNearbyView(APIView):
    @extend_schema(
        parameters=[NearbyQuerySerializer],
        responses={200: NearbyResultSerializer},
        summary="Already reported? Open issues near a place",
        description="Up to 5 open issues of the same category (or group, where configured) "
        "near the point, nearest first, with their public summary.",
    )
    def get(self, request: Request) -> Response:
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lat, lon = query.validated_data["lat"], query.validated_data["lon"]
        found = nearby_open_issues(
            lat,
            lon,
            query.validated_data["category"],
            radius_m=settings.NEARBY_SUGGESTION_RADIUS_M,
            limit=NEARBY_LIMIT,
        )
        summaries = public_summaries([n.issue_id for n in found])
        results = []
        for nearby in found:
            summary = summaries.get(nearby.issue_id)
            if summary is None:  # hidden since the search
                continue
            results.append(
                {
                    "id": nearby.issue_id,
                    "category": summary.category_code,
                    "category_name": localized(summary.category_name_it, summary.category_name_en),
                    "status": public_status(summary.status),
                    "address": summary.address,
                    "distance_m": round(nearby.distance_m, 1),
                    "report_count": summary.report_count,
                    "supporter_count": summary.supporter_count,
                    "people": summary.people,
                    "first_reported_at": summary.first_reported_at,
                    "thumbnail_url": default_storage.url(summary.photo) if summary.photo else None,
                    "description": summary.description,
                    "language": summary.language,
                    "url": reverse("issue", args=[nearby.issue_id]),
                }
            )
        return Response(NearbyResultSerializer({"results": results}).data)


NEARBY_LIMIT = 5


class AddressSearchView(APIView):
    throttle_classes = [GeocodeThrottle]

    @extend_schema(
        parameters=[AddressQuerySerializer],
        responses={200: AddressSerializer},
        summary="Find a street of the municipality",
        description="The point of a typed address inside the territory (the geocoder of "
        "settings.GEOCODER; offline, the middle of the imported street) and the street there; "
        "404 with a message when none is found.",
    )
    def get(self, request: Request) -> Response:
        query = AddressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        address = query.validated_data["q"]
        found = forward_geocode(address)
        if found is not None and not inside_municipality(make_point(*found)):
            # Nominatim knows the whole world: "Via Roma" is in another town. The streets
            # imported for the territory may still have it.
            found = street_position(address) if settings.GEOCODER != "offline" else None
            if found is not None and not inside_municipality(make_point(*found)):
                found = None
        if found is None:
            raise NotFound(_("No street of the municipality matches this address."))
        lat, lon = found
        return Response(
            AddressSerializer({"lat": lat, "lon": lon, "address": reverse_geocode(lat, lon)}).data
        )


class AddressAtView(APIView):
    throttle_classes = [GeocodeThrottle]

    @extend_schema(
        parameters=[PlaceQuerySerializer],
        responses={200: AddressSerializer},
        summary="The street at a point of the municipality",
        description="What the citizen form reads out where the pin is: the nearest street "
        "(offline, from the imported roads: no call to another service).",
    )
    def get(self, request: Request) -> Response:
        query = PlaceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lat, lon = query.validated_data["lat"], query.validated_data["lon"]
        return Response(
            AddressSerializer({"lat": lat, "lon": lon, "address": reverse_geocode(lat, lon)}).data
        )


class IssueSupportView(APIView):
    throttle_classes = [SupportThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=SupportSerializer,
        responses={200: SupportResultSerializer, 201: SupportResultSerializer},
        summary="Me too: support an open issue",
        description="Counts the caller once among the people who have the problem: a "
        "signed-in account as itself, anyone else at most once per browser session and per "
        "client address. An e-mail gets a confirmation link first; once confirmed, it counts "
        "as a person of its own and receives the issue's updates.",
    )
    def post(self, request: Request, pk: int) -> Response:
        issue = public_issues().filter(pk=pk).select_related("category").first()
        if issue is None:
            raise NotFound(_("No such issue."))
        body = SupportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not request.session.session_key:
            request.session.save()
        try:
            issue, counted = support_issue(
                issue,
                email=body.validated_data["email"].strip(),
                session_key=request.session.session_key or "",
                client=client_address(request),
                user=request.user,
                language=(get_language() or settings.LANGUAGE_CODE)[:2],
            )
        except IssueClosed:
            raise ValidationError(
                {"detail": _("This problem is closed. If it is back, please report it again.")}
            ) from None
        data = {
            "issue": issue.pk,
            "supporter_count": issue.supporter_count,
            "people": issue.people,
            "subscribed": bool(body.validated_data["email"]),
            # Anyone but an account confirms the address first (reports.notify).
            "confirmation_sent": bool(body.validated_data["email"])
            and not request.user.is_authenticated,
            "tracking_url": reverse("issue", args=[issue.pk]),
        }
        return Response(data, status=status.HTTP_201_CREATED if counted else status.HTTP_200_OK)


class StaffClusteringView(APIView):
    """Operators' and coordinators' manual clustering decisions, issue by issue in scope."""

    permission_classes = [StaffVerb]
    staff_verb = Verb.MERGE

    def run(self, action: Callable[[], Issue], created: bool) -> Response:
        try:
            issue = action()
        except ClusteringRefused as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(
            {"issue": issue.pk, "report_count": issue.report_count},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class IssueMergeView(StaffClusteringView):
    @extend_schema(
        request=MergeSerializer,
        responses={200: ClusteringResultSerializer},
        summary="Merge this issue into another (staff)",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        source = issue_for(request, Verb.MERGE, pk)
        target = roles.visible_issues(request.user).filter(pk=body.validated_data["into"]).first()
        if target is None:
            raise ValidationError({"into": [_("No such issue.")]})
        return self.run(lambda: merge_issues(source, target, actor=request.user), False)


class IssueSplitView(StaffClusteringView):
    @extend_schema(
        request=SplitSerializer,
        responses={201: ClusteringResultSerializer},
        summary="Move some reports of this issue to a new issue (staff)",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = SplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issue = issue_for(request, Verb.MERGE, pk)
        reports = body.validated_data["reports"]
        return self.run(lambda: split_reports(issue, reports, actor=request.user), True)
