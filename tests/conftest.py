import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.browser import chromium  # noqa: F401 - one session-wide browser for all modules
from tests.factories import Territory, make_territory


@pytest.fixture
def territory(db: None) -> Territory:
    return make_territory()


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
