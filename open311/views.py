"""Open311 GeoReport v2 at /open311/v2/, with mySociety's servicerequestupdates.

Every resource answers in .json and .xml. Errors are the spec's list of {code, description}:
403 for a missing or bad api_key, 404 for an unknown request, service, token or jurisdiction,
429 over a key's rate limit, 400 for any other bad input. Reports submitted here go through
the same serializer and reports.actions.submit_report as the native API and the web form.
"""

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError

from config.ids import parse_id
from config.params import comma_lists
from geo.geocode import forward_geocode
from geo.models import RoadSegment
from open311 import serializers
from open311.actions import authenticate, record_citizen_update, within_rate_limit
from open311.fetch import MediaRefused, fetch_media
from open311.models import ApiKey
from open311.render import errors, flatten, respond, w3c
from reports.actions import Contact, PhotoStorageError, submit_report
from reports.models import Category, Channel, Issue, Report, Status, TimelineEntry
from reports.photos import PhotoError, process_upload
from reports.querysets import active_categories, public_timeline
from reports.serializers import ReportSubmissionSerializer, not_handled
from reports.views import normalize_tracking_code

DEFAULT_WINDOW = dt.timedelta(days=90)
# What start_date, end_date and updated_datetime may be: far inside datetime's years 1-9999,
# so that a window of 90 days either side is still a datetime.
EARLIEST_MOMENT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
# A citizen's update is sent when it is made, or retried from a client's queue; a client's
# clock may be a little ahead.
UPDATE_MAX_AGE = dt.timedelta(days=365)
CLOCK_SKEW = dt.timedelta(days=1)
MAX_PAGE_SIZE = 1000
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# Our serializer's field names as the client sent them.
OPEN311_FIELD = {
    "lon": "long",
    "category": "service_code",
    "answers": "attribute",
    "photo": "media_url",
    "name": "first_name",
}
UPDATE_STATUSES = {"open", "closed"}


class Refused(Exception):
    """Stop handling a call with an Open311 error."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


def open311_view(
    methods: tuple[str, ...],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a view: allowed methods, jurisdiction check, Open311 errors, never a 500 for input."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # a third-party API authenticated by api_key, not by a session cookie
        def handle(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = errors(
                    fmt, 405, _("This resource does not accept %(m)s.") % {"m": request.method}
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _refuse_nul(request, kwargs)
                _check_jurisdiction(request)
                return view(request, fmt, **kwargs)
            except Refused as refused:
                return errors(fmt, refused.status, *refused.descriptions)
            except RequestDataTooBig:
                return errors(fmt, 413, _("The request is too large."))
            except (TooManyFieldsSent, TooManyFilesSent):
                return errors(fmt, 400, _("Too many files or fields."))

        handle.__name__ = view.__name__
        return handle

    return wrap


def _params(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else request.GET


def _refuse_nul(request: HttpRequest, path_values: dict[str, Any]) -> None:
    # PostgreSQL refuses NUL in any text it is given: a lookup by such a value is a 500.
    for name, values in _params(request).lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise Refused(400, _("Parameters must not contain NUL characters."))
    if any("\x00" in str(value) for value in path_values.values()):
        raise Refused(400, _("Parameters must not contain NUL characters."))


def _check_jurisdiction(request: HttpRequest) -> None:
    given = _params(request).get("jurisdiction_id", "").strip()
    configured = settings.OPEN311_JURISDICTION_ID
    if given and configured and given != configured:
        raise Refused(404, _("Unknown jurisdiction_id: %(j)s.") % {"j": given})


def _api_key(request: HttpRequest) -> ApiKey:
    raw = request.POST.get("api_key", "").strip()
    if not raw:
        raise Refused(403, _("An api_key is required to submit."))
    key = authenticate(raw)
    if key is None:
        raise Refused(403, _("The api_key is not valid or has been revoked."))
    if not within_rate_limit(key):
        raise Refused(
            429,
            _("Too many calls with this api_key: the limit is %(n)d a minute.")
            % {"n": key.rate_limit_per_minute},
        )
    return key


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


@open311_view(("GET",))
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311-root"))
    data = {
        "changeset": "2026-11-23T00:00:00+00:00",
        "contact": settings.OPEN311_CONTACT or settings.MUNICIPALITY_NAME,
        "key_service": _("Ask the municipality's administrators for an API key."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": "2026-11-23T00:00:00+00:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(data, fmt, "discovery")


@open311_view(("GET",))
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    # Only what a client may file: GeoReport v2 has no way to mark a service "information
    # only", so a client offers a form for every service listed, and a category outside the
    # municipality's competence would refuse every citizen who filled it in. Our own web form
    # and /api/v1/categories/ show those categories with where to go instead.
    data = [
        serializers.service(c) for c in active_categories().filter(handled_by_municipality=True)
    ]
    return respond(data, fmt, "services")


@open311_view(("GET",))
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = active_categories().filter(code=code).first()
    if category is None:
        raise Refused(404, _("Unknown service_code: %(code)s.") % {"code": code})
    if not category.handled_by_municipality:
        raise Refused(404, not_handled(category))
    return respond(serializers.service_definition(category), fmt, "service_definition")


@open311_view(("GET", "POST"))
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    params = request.GET
    issues = serializers.requests_queryset()
    ids = comma_lists(params, "service_request_id")
    if ids:
        # The spec: a list of ids overrides every other filter.
        wanted = [n for n in map(parse_id, ids[:MAX_PAGE_SIZE]) if n is not None]
        issues = issues.filter(pk__in=wanted)
    else:
        start, end = _date_window(params.get("start_date"), params.get("end_date"))
        issues = issues.filter(first_reported_at__gte=start, first_reported_at__lte=end)
        codes = comma_lists(params, "service_code")
        if codes:
            issues = issues.filter(category__code__in=codes)
        statuses = {s.lower() for s in comma_lists(params, "status")}
        unknown = sorted(statuses - {"open", "closed"})
        if unknown:
            raise Refused(
                400, _("Unknown status: %(s)s. Use open or closed.") % {"s": ", ".join(unknown)}
            )
        if statuses == {"open"}:
            issues = issues.exclude(status=Status.CLOSED)
        elif statuses == {"closed"}:
            issues = issues.filter(status=Status.CLOSED)
    extensions = _flag(params.get("extensions"))
    if extensions:
        issues = issues.prefetch_related(Prefetch("timeline", queryset=public_timeline()))
    offset, size = _page(params)
    rows = issues.order_by("-first_reported_at", "-id")[offset : offset + size]
    data = serializers.service_requests(rows, request, extensions=extensions)
    return respond(data, fmt, "service_requests")


@open311_view(("GET",))
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    extensions = _flag(request.GET.get("extensions"))
    issues = serializers.requests_queryset()
    if extensions:
        issues = issues.prefetch_related(Prefetch("timeline", queryset=public_timeline()))
    row_id = parse_id(request_id)
    issue = issues.filter(pk=row_id).first() if row_id is not None else None
    if issue is None:
        raise Refused(404, _("Unknown service_request_id: %(id)s.") % {"id": request_id})
    data = [serializers.service_request(issue, request, extensions=extensions)]
    return respond(data, fmt, "service_requests")


@open311_view(("GET",))
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    # Tokens are tracking codes: forgive case, spaces and separators as the tracking page does.
    code = normalize_tracking_code(token)
    report = (
        Report.objects.filter(tracking_code=code, hidden=False, issue__hidden=False).first()
        if code
        else None
    )
    if report is None:
        raise Refused(404, _("Unknown token: %(t)s.") % {"t": token})
    data = [{"service_request_id": str(report.issue_id), "token": report.tracking_code}]
    return respond(data, fmt, "service_requests")


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    _api_key(request)  # authenticated and counted; nothing of the key is kept with the report
    code = params.get("service_code", "").strip()
    if not code:
        raise Refused(400, _("service_code is required."))
    if not Category.objects.filter(code=code, active=True).exists():
        raise Refused(404, _("Unknown service_code: %(code)s.") % {"code": code})
    lat, lon = _location(params)
    data: dict[str, Any] = {
        "lat": lat,
        "lon": lon,
        "category": code,
        "description": params.get("description", ""),
        "answers": _attributes(params),
        "channel": Channel.API,
        "name": " ".join(
            p for p in (params.get("first_name", ""), params.get("last_name", "")) if p.strip()
        ),
        "email": params.get("email", ""),
        "phone": params.get("phone", ""),
    }
    media_url = params.get("media_url", "").strip()
    if media_url:
        try:
            content = fetch_media(media_url)
        except MediaRefused as refused:
            raise Refused(400, str(refused)) from None
        data["photo"] = [
            SimpleUploadedFile("media", content, content_type="application/octet-stream")
        ]
    submission = ReportSubmissionSerializer(data=data)
    if not submission.is_valid():
        renamed = {OPEN311_FIELD.get(k, k): v for k, v in submission.errors.items()}
        raise Refused(400, *flatten(renamed))
    new = submission.to_new_report(language=_language(), user=None)
    try:
        report = submit_report(dataclasses.replace(new, channel=Channel.OPEN311))
    except PhotoStorageError:
        raise Refused(
            503, _("Your photos could not be stored just now. Please send again.")
        ) from None
    notice = (
        _("This problem had already been reported: your report joined it.")
        if report.match.get("joined")
        else None
    )
    result = [
        {
            "service_request_id": str(report.issue_id),
            "token": report.tracking_code,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return respond(result, fmt, "service_requests", status=201)


def _location(params: Any) -> tuple[Any, Any]:
    """Return lat and long as sent (checked by the serializer), or geocode the address."""
    lat, lon = params.get("lat", "").strip(), params.get("long", "").strip()
    if lat or lon:
        if not (lat and lon):
            raise Refused(400, _("Give both lat and long."))
        return lat, lon
    address = params.get("address_string", "").strip()
    if address:
        found = forward_geocode(address[:300])
        if found is None:
            raise Refused(400, _("The address %(a)s was not found.") % {"a": address[:300]})
        return found
    address_id = params.get("address_id", "").strip()
    if address_id:
        segment_id = parse_id(address_id)
        segment = (
            RoadSegment.objects.filter(pk=segment_id).first() if segment_id is not None else None
        )
        if segment is None:
            raise Refused(400, _("Unknown address_id: %(a)s.") % {"a": address_id})
        middle = segment.geometry.interpolate_normalized(0.5)
        return middle.y, middle.x
    raise Refused(400, _("Give the location: lat and long, address_string or address_id."))


def _attributes(params: Any) -> dict[str, Any]:
    """Collect attribute[code] (one answer) and attribute[code][] (several) into answers."""
    answers: dict[str, Any] = {}
    for name, values in params.lists():
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        code, many = match.group(1), bool(match.group(2))
        answers[code] = list(values) if many or len(values) > 1 else values[0]
    return answers


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("true", "1", "yes")


def _moment(raw: str, name: str) -> dt.datetime:
    """Parse a W3C date-time (or a date: its midnight) between 1900 and 2100, in UTC.

    Naive ones are in the site's zone. The bounds keep the window arithmetic and the offset
    conversion inside datetime's years 1-9999: 9999-12-31 plus 90 days, or 0001-01-01 at
    +14:00 in UTC, was an OverflowError (a 500).
    """
    raw = raw.strip()
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise Refused(
            400,
            _("%(name)s must be a W3C date-time such as 2026-01-31T08:00:00+01:00.")
            % {"name": name},
        )
    try:
        aware = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        utc = aware.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_MOMENT <= utc <= LATEST_MOMENT:
        raise Refused(
            400,
            _out_of_range(
                name,
                EARLIEST_MOMENT.isoformat(timespec="seconds"),
                LATEST_MOMENT.isoformat(timespec="seconds"),
            ),
        )
    return utc


def _out_of_range(name: str, earliest: str | None, latest: str | None) -> str:
    return _("%(name)s is out of range: give a moment between %(earliest)s and %(latest)s.") % {
        "name": name,
        "earliest": earliest,
        "latest": latest,
    }


def _date_window(raw_start: str | None, raw_end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """The spec's window: given dates, at most 90 days apart; the last 90 days by default."""
    start = _moment(raw_start, "start_date") if raw_start else None
    end = _moment(raw_end, "end_date") if raw_end else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    if end is None:
        end = start + DEFAULT_WINDOW
    if end < start:
        raise Refused(400, _("end_date is before start_date."))
    if end - start > DEFAULT_WINDOW:
        raise Refused(400, _("start_date and end_date may not be more than 90 days apart."))
    return start, end


def _page(params: Any) -> tuple[int, int]:
    """Return (offset, size) from page (from 1) and page_size (at most 1000, the default)."""
    try:
        page = int(params.get("page", "1"))
        size = int(params.get("page_size", str(MAX_PAGE_SIZE)))
    except ValueError:
        raise Refused(400, _("page and page_size must be whole numbers.")) from None
    # The page bound keeps the offset a sane SQL number.
    if not 1 <= page <= 1_000_000 or not 1 <= size <= MAX_PAGE_SIZE:
        raise Refused(
            400, _("page starts at 1; page_size is between 1 and %(n)d.") % {"n": MAX_PAGE_SIZE}
        )
    return (page - 1) * size, size


@open311_view(("GET", "POST"))
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_update(request, fmt)
    start, end = _date_window(request.GET.get("start_date"), request.GET.get("end_date"))
    entries = (
        TimelineEntry.objects.filter(
            public=True,
            kind__in=[TimelineEntry.Kind.STATUS, TimelineEntry.Kind.PUBLIC_REPLY],
            issue__hidden=False,
            created_at__gte=start,
            created_at__lte=end,
        )
        .select_related("issue")
        .order_by("created_at", "id")
    )
    offset, size = _page(request.GET)
    data = [serializers.request_update(e) for e in entries[offset : offset + size]]
    return respond(data, fmt, "service_request_updates")


def _create_update(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    key = _api_key(request)
    request_id = params.get("service_request_id", "").strip()
    if not request_id:
        raise Refused(400, _("service_request_id is required."))
    row_id = parse_id(request_id)
    issue = Issue.objects.filter(pk=row_id, hidden=False).first() if row_id is not None else None
    if issue is None:
        raise Refused(404, _("Unknown service_request_id: %(id)s.") % {"id": request_id})
    problems = []
    text = params.get("description", "").strip()
    if not text:
        problems.append(_("description is required."))
    elif len(text) > 4000:
        problems.append(_("description may be at most 4000 characters."))
    citizen_status = params.get("status", "").strip().lower()
    if citizen_status and citizen_status not in UPDATE_STATUSES:
        problems.append(_("status must be open or closed."))
    if params.get("updated_datetime", "").strip():
        _updated_datetime(params["updated_datetime"])
    contact = _update_contact(params, problems)
    if problems:
        raise Refused(400, *problems)
    photo = None
    media_url = params.get("media_url", "").strip()
    if media_url:
        try:
            photo = process_upload(fetch_media(media_url))
        except (MediaRefused, PhotoError) as refused:
            raise Refused(400, f"media_url: {refused}") from None
    try:
        entry = record_citizen_update(
            issue,
            text=text,
            citizen_status=citizen_status,
            contact=contact,
            key=key,
            client_update_id=params.get("update_id", "").strip()[:100],
            language=_language(),
            photo=photo,
        )
    except PhotoStorageError:
        raise Refused(
            503, _("Your photos could not be stored just now. Please send again.")
        ) from None
    return respond([{"update_id": str(entry.pk)}], fmt, "service_request_updates", status=201)


def _updated_datetime(raw: str) -> dt.datetime:
    """Check the client's time of an update: within the last year, or a day ahead at most."""
    moment = _moment(raw, "updated_datetime")
    now = timezone.now()
    earliest, latest = now - UPDATE_MAX_AGE, now + CLOCK_SKEW
    if not earliest <= moment <= latest:
        raise Refused(400, _out_of_range("updated_datetime", w3c(earliest), w3c(latest)))
    return moment


def _update_contact(params: Any, problems: list[str]) -> Contact:
    """Check the optional contact fields of an update with the native serializer's rules."""
    fields = ReportSubmissionSerializer().fields
    values = {
        "name": " ".join(
            p for p in (params.get("first_name", ""), params.get("last_name", "")) if p.strip()
        ),
        "email": params.get("email", "").strip(),
        "phone": params.get("phone", "").strip(),
    }
    cleaned = {}
    for name, value in values.items():
        try:
            cleaned[name] = fields[name].run_validation(value)
        except ValidationError as exc:
            problems.extend(flatten({OPEN311_FIELD.get(name, name): exc.detail}))
    return Contact(
        name=cleaned.get("name", ""), email=cleaned.get("email", ""), phone=cleaned.get("phone", "")
    )


@csrf_exempt  # as every Open311 endpoint: a POST to an unknown path is a 404, not a CSRF 403
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    fmt = "xml" if rest.endswith(".xml") else "json"
    return errors(fmt, 404, _("No such Open311 resource: /%(path)s.") % {"path": rest})
