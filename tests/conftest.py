import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import Crew
from tests.browser import chromium  # noqa: F401 - one session-wide browser for all modules
from tests.factories import Territory, make_territory


@pytest.fixture
def territory(db: None) -> Territory:
    return make_territory()


@pytest.fixture
def crew(territory: Territory) -> Crew:
    """The roads department's crew, on shift all day, at its depot."""
    return Crew.objects.create(
        department=territory.roads,
        name="Squadra A",
        depot=territory.roads.depots.get(),
        shift_start=dt.time(0, 0),
        shift_end=dt.time(23, 59),
    )


@pytest.fixture
def midday(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Make timezone.localtime() noon of the day the test starts, and return it: a test that
    plans the rest of today's shift would otherwise depend on the hour it runs at."""
    real = timezone.localtime
    noon = real().replace(hour=12, minute=0, second=0, microsecond=0)

    def localtime(value: dt.datetime | None = None, tz: Any = None) -> dt.datetime:
        return noon if value is None and tz is None else real(value, tz)

    monkeypatch.setattr(timezone, "localtime", localtime)
    return noon


@pytest.fixture
def same_day(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Keep timezone.localdate() on the day the test starts, and return that day: a test that
    plans today's routes and then opens today's pages would, run across midnight, look for
    tomorrow's."""
    real = timezone.localdate
    today = real()

    def localdate(value: dt.datetime | None = None, tz: Any = None) -> dt.date:
        return today if value is None and tz is None else real(value, tz)

    monkeypatch.setattr(timezone, "localdate", localdate)
    return today


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(tmp_path: Path, settings: object) -> Iterator[Path]:
    """Give each test its own MEDIA_ROOT so stored-file assertions see only their files."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)  # type: ignore[attr-defined]
    yield root
    shutil.rmtree(root, ignore_errors=True)
