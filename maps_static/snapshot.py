"""The static GeoJSON snapshot of the open problems, for a CDN to serve under heavy load.

The map links to it as the open problems' download: open and under-review issues, under the
open data's licence, with absolute URLs and the open data's date format.

Written through Django's default storage under SNAPSHOT_NAME: MEDIA_ROOT on a file system
(through a temporary file in the same directory and os.replace, so a reader sees the old file or
the new one, never half of one), the bucket with STORAGE_BACKEND=s3 (one PUT replaces the object
whole: S3 readers get the old object or the new one, and read-after-write is strongly consistent).
"""

import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection

from insights.exports import issue_url, open_data_head
from maps_static.querysets import public_status_sql
from reports.models import OPEN_STATUSES

SNAPSHOT_NAME = "public/issues.geojson"


def snapshot_url(storage: Storage | None = None) -> str:
    """Where browsers and CDNs fetch the snapshot (MEDIA_URL, or the bucket's URL)."""
    return (storage or default_storage).url(SNAPSHOT_NAME)


# A moment as open311.render.w3c writes it, from its local (AT TIME ZONE the site's) and UTC
# wall-clock times: ISO 8601 to the second with the offset. to_char's own TZH:TZM would follow
# the session's time zone, which Django keeps at UTC.
W3C_SQL = (
    "to_char(moment.local, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
    "|| CASE WHEN moment.local < moment.utc THEN '-' ELSE '+' END "
    "|| to_char(greatest(moment.local - moment.utc, moment.utc - moment.local), 'HH24:MI')"
)


def public_layer_geojson() -> bytes:
    """Return the open problems as a GeoJSON FeatureCollection (public columns only).

    Open and under-review issues, hidden ones never: what the map's "download the open
    problems" link promises, with the open data's licence, absolute URLs and date format
    (insights.exports). No generated_at: the same issues give the same bytes, so caches and
    ETags hold until something changes. One query: PostgreSQL builds the features, ~10x
    faster than Python.
    """
    status_sql, status_params = public_status_sql("i.status")
    url_prefix, url_suffix = issue_url(0).rsplit("0", 1)
    # Raw SQL: json_agg over the whole layer keeps 50k features out of Python objects.
    sql = f"""
        SELECT coalesce(json_agg(json_build_object(
                 'type', 'Feature', 'id', i.id,
                 'geometry', ST_AsGeoJSON(i.location, 6)::json,
                 'properties', json_build_object(
                   'id', i.id, 'category', c.code, 'group', g.code, 'status', {status_sql},
                   'address', i.address,
                   'report_count', i.report_count, 'supporter_count', i.supporter_count,
                   'first_reported_at', {W3C_SQL},
                   'url', %s || i.id || %s))
                 ORDER BY i.id), '[]'::json)::text
        FROM reports_issue i
        JOIN reports_category c ON c.id = i.category_id
        JOIN reports_categorygroup g ON g.id = c.group_id
        CROSS JOIN LATERAL (SELECT i.first_reported_at AT TIME ZONE %s AS local,
                                   i.first_reported_at AT TIME ZONE 'UTC' AS utc) AS moment
        WHERE NOT i.hidden AND i.status = ANY(%s)
    """  # noqa: S608 (constant fragments; every value is a parameter)
    params = [*status_params, url_prefix, url_suffix, settings.TIME_ZONE, OPEN_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        features = cursor.fetchone()[0]
    head = json.dumps(open_data_head())
    return (head[:-1] + ', "features": ' + features + "}").encode()


def write_snapshot(content: bytes, storage: Storage | None = None) -> str:
    """Replace the snapshot with `content` in the storage, atomically where it allows.

    Return the name it was saved under (always SNAPSHOT_NAME).
    """
    storage = storage or default_storage
    if isinstance(storage, FileSystemStorage):
        replace_file(content, Path(storage.path(SNAPSHOT_NAME)))
        return SNAPSHOT_NAME
    # Object stores that overwrite (S3Storage's default file_overwrite=True) keep the name, and
    # one PUT is atomic. A storage that would pick another name needs the old object deleted
    # first: readers may then find no snapshot for the moment of the upload.
    if storage.get_available_name(SNAPSHOT_NAME) != SNAPSHOT_NAME:
        storage.delete(SNAPSHOT_NAME)
    saved = storage.save(SNAPSHOT_NAME, ContentFile(content))
    if saved != SNAPSHOT_NAME:  # another writer raced between delete and save
        storage.delete(saved)
        raise OSError(f"the snapshot was saved as {saved!r}, not {SNAPSHOT_NAME!r}")
    return saved


def replace_file(content: bytes, path: Path) -> None:
    """Replace the file at `path` with `content` through a temporary file and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".issues-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
