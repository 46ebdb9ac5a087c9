"""CSV and GeoJSON exports: the staff's CSV and the public open data.

Rows are read with `values_list` over named columns, so a field that is not listed (the
reporter, the photo's EXIF position) cannot reach a file by accident. Every text cell is
neutralised against formula injection before it is written. Moments are written as Open311
writes them (open311.render.w3c): ISO 8601 to the second, in the site's time zone, with its
offset; the map's snapshot of the open problems (maps_static/snapshot.py) does the same.
"""

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet
from django.urls import reverse

from open311.render import w3c
from reports.models import Issue, Report, public_status
from reports.querysets import public_issues, public_photos

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000

STAFF_COLUMNS = [
    ("issue_id", "issue_id"),
    # Not the tracking code: it is the reporter's secret, with which anyone rates and reopens
    # as the reporter, and every back-office role (crews and external bodies too) exports.
    ("report_id", "id"),
    ("reported_at", "created_at"),
    ("channel", "channel"),
    ("status", "issue__status"),
    ("close_reason", "issue__close_reason"),
    ("category", "category__code"),
    ("department", "issue__department__name"),
    ("address", "address"),
    ("location", "location"),
    ("urgency", "urgency"),
    ("emergency", "emergency"),
    ("hidden", "hidden"),
    ("description", "description"),
]
# Only for staff whose role may see contacts (backoffice.roles.Verb.CONTACTS).
PERSONAL_COLUMNS = [
    ("reporter_name", "reporter__name"),
    ("reporter_email", "reporter__email"),
    ("reporter_phone", "reporter__phone"),
]

OPEN_DATA_COLUMNS = [
    ("id", "id"),
    ("category", "category__code"),
    ("category_it", "category__name_it"),
    ("category_en", "category__name_en"),
    ("group", "category__group__code"),
    ("department", "department__name"),
    ("status", "status"),
    ("close_reason", "close_reason"),
    ("address", "address"),
    ("location", "location"),
    ("report_count", "report_count"),
    ("supporter_count", "supporter_count"),
    ("first_reported_at", "first_reported_at"),
    ("closed_at", "closed_at"),
    ("photos", "photos"),
]


def neutralise(value: Any) -> Any:
    """Return `value` safe for a spreadsheet: a text cell that would be a formula gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def staff_csv_rows(reports: QuerySet[Report], *, contacts: bool) -> Iterator[str]:
    """Yield the staff CSV, one report a line; reporters' contacts only when `contacts`."""
    columns = STAFF_COLUMNS + (PERSONAL_COLUMNS if contacts else [])
    writer = csv.writer(_Echo())
    yield writer.writerow(_header(columns, split_location=True))
    rows = reports.order_by("issue_id", "id").values_list(*[field for _, field in columns])
    for row in rows.iterator(chunk_size=CHUNK):
        yield writer.writerow(_cells(row, split_location=True))


def _header(columns: list[tuple[str, str]], *, split_location: bool) -> list[str]:
    names: list[str] = []
    for name, _field in columns:
        names += ["latitude", "longitude"] if name == "location" and split_location else [name]
    return names


def _cells(row: Iterable[Any], *, split_location: bool) -> list[Any]:
    cells: list[Any] = []
    for value in row:
        if hasattr(value, "coords") and split_location:
            cells += [round(value.y, 6), round(value.x, 6)]
        elif isinstance(value, dt.datetime):
            cells.append(w3c(value))
        elif isinstance(value, list):
            cells.append(" ".join(str(neutralise(v)) for v in value))
        else:
            cells.append(neutralise(value))
    return cells


def open_data_issues() -> QuerySet[Issue]:
    """The public issues with their public photos' file names (one query)."""
    photos = public_photos().filter(report__issue_id=OuterRef("pk")).values("image")
    return public_issues().annotate(photos=ArraySubquery(photos)).order_by("id")


def _photo_url(name: str) -> str:
    url = default_storage.url(name)
    return settings.SITE_URL + url if url.startswith("/") else url


def issue_url(issue_id: int) -> str:
    """The absolute address of an issue's public page (settings.SITE_URL)."""
    return settings.SITE_URL + reverse("issue", args=[issue_id])


def open_data_head(generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """The members of a public GeoJSON FeatureCollection before its features."""
    head: dict[str, Any] = {
        "type": "FeatureCollection",
        "licence": settings.OPEN_DATA_LICENCE,
        "publisher": settings.MUNICIPALITY_NAME,
    }
    if generated_at is not None:
        head["generated_at"] = w3c(generated_at)
    return head


def _public_record(row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip([name for name, _ in OPEN_DATA_COLUMNS], row, strict=True))
    record["status"] = public_status(record["status"])
    record["first_reported_at"] = w3c(record["first_reported_at"])
    record["closed_at"] = w3c(record["closed_at"])
    record["photos"] = [_photo_url(name) for name in record["photos"] or []]
    record["url"] = issue_url(record["id"])
    record["licence"] = settings.OPEN_DATA_LICENCE
    return record


def open_data_records() -> Iterator[dict[str, Any]]:
    """Yield one public record per issue (no personal data, stripped photos' URLs only)."""
    rows = open_data_issues().values_list(*[field for _, field in OPEN_DATA_COLUMNS])
    for row in rows.iterator(chunk_size=CHUNK):
        yield _public_record(row)


OPEN_DATA_CSV_HEADER = [
    *_header(OPEN_DATA_COLUMNS, split_location=True),
    "url",
    "licence",
]


def write_open_data_csv(out: IO[str], records: Iterable[dict[str, Any]]) -> int:
    """Write the records as CSV to `out`; return how many."""
    writer = csv.writer(out)
    writer.writerow(OPEN_DATA_CSV_HEADER)
    count = 0
    for record in records:
        location = record["location"]
        values = [record[name] for name, _ in OPEN_DATA_COLUMNS if name != "location"]
        values.insert(OPEN_DATA_CSV_HEADER.index("latitude"), location)
        writer.writerow(_cells([*values, record["url"], record["licence"]], split_location=True))
        count += 1
    return count


def write_open_data_geojson(
    out: IO[str], records: Iterable[dict[str, Any]], generated_at: dt.datetime
) -> int:
    """Write the records as a GeoJSON FeatureCollection to `out`; return how many."""
    out.write(json.dumps(open_data_head(generated_at))[:-1] + ', "features": [')
    count = 0
    for record in records:
        location = record.pop("location")
        feature = {
            "type": "Feature",
            "id": record["id"],
            "geometry": {
                "type": "Point",
                "coordinates": [round(location.x, 6), round(location.y, 6)],
            },
            "properties": record,
        }
        out.write(("," if count else "") + json.dumps(feature))
        count += 1
    out.write("]}")
    return count
