"""Publish the open data: new files under new names, then the release row that points at them."""

import io
import logging
import secrets
import tempfile
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from insights.exports import open_data_records, write_open_data_csv, write_open_data_geojson
from insights.models import OpenDataRelease

logger = logging.getLogger(__name__)

# Releases kept in storage: the newest, and the one before for downloads already under way.
KEEP_RELEASES = 2


def publish_open_data() -> OpenDataRelease:
    """Write the open-data CSV and GeoJSON to default storage, then publish them.

    Readers see the previous release until the new row is committed; files of older releases
    are deleted afterwards. Running it twice publishes a fresh copy, nothing breaks.
    """
    now = timezone.now()
    folder = f"opendata/{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    csv_name, count = _store(
        f"{folder}/issues.csv", lambda out: write_open_data_csv(out, open_data_records())
    )
    geojson_name, _ = _store(
        f"{folder}/issues.geojson",
        lambda out: write_open_data_geojson(out, open_data_records(), now),
    )
    release = OpenDataRelease.objects.create(
        created_at=now,
        csv_name=csv_name,
        geojson_name=geojson_name,
        issue_count=count,
        licence=settings.OPEN_DATA_LICENCE,
    )
    _prune()
    logger.info("open data published: %s (%d issues)", folder, count)
    return release


def _store(name: str, write: Callable[[IO[str]], int]) -> tuple[str, int]:
    # Spooled to a temporary file: a city's history does not have to fit in memory.
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        count = write(text)
        text.flush()
        raw.seek(0)
        saved = default_storage.save(name, File(raw, name=name))
        text.detach()
    return saved, count


def _prune() -> None:
    for old in OpenDataRelease.objects.all()[KEEP_RELEASES:]:
        for name in (old.csv_name, old.geojson_name):
            default_storage.delete(name)
        old.delete()
