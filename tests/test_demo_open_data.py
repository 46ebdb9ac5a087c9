"""The demo city's open data is published as it loads: /stats/ links to it at once."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from insights.models import OpenDataRelease
from reports.models import Issue


@pytest.mark.django_db
def test_loading_the_demo_publishes_the_open_data() -> None:
    out = io.StringIO()
    call_command("load_demo", reports=30, stdout=out)

    release = OpenDataRelease.objects.get()
    assert 0 < release.issue_count <= Issue.objects.count()
    assert f"open data published ({release.issue_count} issues)" in out.getvalue()
    stats = Client().get("/stats/").content.decode()
    assert "/opendata/issues.csv" in stats and "/opendata/issues.geojson" in stats
    csv = Client().get("/opendata/issues.csv")
    assert csv.status_code == 200
    assert b"".join(csv.streaming_content).count(b"\n") == release.issue_count + 1
    geojson = Client().get("/opendata/issues.geojson")
    assert geojson.status_code == 200
    assert b'"FeatureCollection"' in b"".join(geojson.streaming_content)

    call_command("load_demo", stdout=out)  # the next start: nothing loaded, nothing published
    assert OpenDataRelease.objects.get() == release


@pytest.mark.django_db
def test_a_database_loaded_before_gets_its_open_data_on_the_next_start() -> None:
    call_command("load_demo", reports=10, stdout=io.StringIO())
    OpenDataRelease.objects.all().delete()
    assert Client().get("/opendata/issues.csv").status_code == 404

    out = io.StringIO()
    call_command("load_demo", stdout=out)

    assert "Open data published" in out.getvalue()
    assert Client().get("/opendata/issues.csv").status_code == 200
