"""The static GeoJSON snapshot of the public layer, for a CDN to serve under heavy load.

Written through Django's default storage under SNAPSHOT_NAME: MEDIA_ROOT on a file system
(through a temporary file in the same directory and os.replace, so a reader sees the old file or
the new one, never half of one), the bucket with STORAGE_BACKEND=s3 (one PUT replaces the object
whole: S3 readers get the old object or the new one, and read-after-write is strongly consistent).
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from django.utils import timezone

from maps_static.querysets import RECENTLY_CLOSED_DAYS
from reports.models import OPEN_STATUSES, internal_statuses

SNAPSHOT_NAME = "public/issues.geojson"


def snapshot_url(storage: Storage | None = None) -> str:
    """Where browsers and CDNs fetch the snapshot (MEDIA_URL, or the bucket's URL)."""
    return (storage or default_storage).url(SNAPSHOT_NAME)


def public_layer_geojson(now: dt.datetime | None = None) -> bytes:
    """Return the public layer as a GeoJSON FeatureCollection (public columns only).

    Open and under-review issues, and issues closed in the last RECENTLY_CLOSED_DAYS; hidden
    issues never. One query: PostgreSQL builds the JSON, which is ~10x faster than Python here.
    """
    since = (now or timezone.now()) - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    public_open = internal_statuses("open")
    # Raw SQL: json_agg over the whole layer keeps 50k features out of Python objects.
    sql = """
        SELECT json_build_object('type', 'FeatureCollection', 'features',
               coalesce(json_agg(json_build_object(
                 'type', 'Feature', 'id', i.id,
                 'geometry', ST_AsGeoJSON(i.location, 6)::json,
                 'properties', json_build_object(
                   'id', i.id, 'category', c.code, 'group', g.code,
                   'status', CASE WHEN i.status = 'closed' THEN 'closed'
                                  WHEN i.status = ANY(%s) THEN 'open'
                                  ELSE 'under_review' END,
                   'close_reason', i.close_reason, 'address', i.address,
                   'report_count', i.report_count, 'supporter_count', i.supporter_count,
                   'first_reported_at', i.first_reported_at, 'closed_at', i.closed_at,
                   'url', '/issues/' || i.id || '/'))
                 ORDER BY i.id), '[]'::json))::text
        FROM reports_issue i
        JOIN reports_category c ON c.id = i.category_id
        JOIN reports_categorygroup g ON g.id = c.group_id
        WHERE NOT i.hidden AND (i.status = ANY(%s) OR (i.status = 'closed' AND i.closed_at >= %s))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [public_open, OPEN_STATUSES, since])
        return cursor.fetchone()[0].encode()


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
