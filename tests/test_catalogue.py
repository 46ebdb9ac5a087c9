"""The category catalogue kept in each process (reports/catalogue.py): an administrator's change
is seen by the next submission; a change behind the ORM's back within MAX_AGE_S; without the
shared cache, every submission reads the database."""

import json
from typing import Any

import pytest
from django.db import router
from django.test import override_settings
from rest_framework.test import APIClient

from config import db_router
from reports import catalogue
from reports.models import Category, Question
from tests.factories import INSIDE, Territory


def send(api: APIClient, **overrides: Any) -> Any:
    form = {
        "lat": INSIDE[0],
        "lon": INSIDE[1] - 0.005,
        "category": "pothole",
        "answers": json.dumps({"size": "large"}),
        **overrides,
    }
    return api.post("/api/v1/reports/", form, format="multipart")


def test_a_category_switched_off_in_the_admin_is_refused_at_the_next_submission(
    api: APIClient, territory: Territory
) -> None:
    assert send(api).status_code == 201
    pothole = Category.objects.get(code="pothole")
    pothole.active = False
    pothole.save()

    refused = send(api)

    assert refused.status_code == 400
    assert refused.json() == {"category": ["Unknown or inactive category."]}


def test_a_new_required_question_applies_to_the_next_submission(
    api: APIClient, territory: Territory
) -> None:
    assert send(api).status_code == 201
    Question.objects.create(
        category=territory.pothole,
        code="lane",
        label_it="Corsia",
        label_en="Lane",
        kind=Question.Kind.TEXT,
        required=True,
    )

    refused = send(api)

    assert refused.status_code == 400
    assert "lane" in refused.json()["answers"]
    assert send(api, answers=json.dumps({"size": "large", "lane": "left"})).status_code == 201


def test_a_ward_taken_off_a_category_is_seen_at_once(api: APIClient, territory: Territory) -> None:
    territory.pothole.areas.set([territory.east])

    refused = send(api)  # the report's place is in the west ward

    assert refused.status_code == 400
    assert refused.json() == {"category": ["This category is not offered at this place."]}


def test_a_change_behind_the_orms_back_is_seen_once_the_copy_is_older_than_max_age(
    api: APIClient, territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert send(api).status_code == 201
    Category.objects.filter(code="pothole").update(active=False)  # no signal
    assert send(api).status_code == 201  # this process's copy

    monkeypatch.setattr(catalogue, "MAX_AGE_S", 0.0)

    assert send(api).status_code == 400


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            # Nothing listens there: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
)
def test_with_the_shared_cache_down_each_submission_reads_the_catalogue(
    api: APIClient, territory: Territory
) -> None:
    assert send(api).status_code == 201
    Category.objects.filter(code="pothole").update(active=False)  # no signal, no version

    assert send(api).status_code == 400


def test_the_catalogue_is_read_from_the_primary_during_a_public_read(
    territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nearby suggestions are a public read, which may go to the replica; the catalogue they
    load feeds submissions, so it must come from the primary (no replica exists here: a read
    routed to it would fail)."""
    monkeypatch.setattr(db_router, "replica_usable", lambda: True)
    token = db_router._public_read.set(True)
    try:
        with override_settings(DATABASE_ROUTERS=["config.db_router.PublicReadsToReplica"]):
            assert router.db_for_read(Category) == db_router.REPLICA
            loaded = catalogue._load()
    finally:
        db_router._public_read.reset(token)

    assert "pothole" in loaded and loaded["pothole"].questions
