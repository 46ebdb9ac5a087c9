"""A new city publishes its open data at once with a command, not at the nightly run."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from insights.models import OpenDataRelease
from tests.factories import Territory
from tests.test_insights_exports import download, submit, table


@pytest.mark.django_db
def test_publish_open_data_command_publishes_the_files_now(territory: Territory) -> None:
    submit()
    assert Client().get("/opendata/issues.csv").status_code == 404
    out = io.StringIO()

    call_command("publish_open_data", stdout=out)

    release = OpenDataRelease.objects.get()
    assert release.issue_count == 1
    assert "Open data published (1 issues)." in out.getvalue()
    assert len(table(download(Client(), "/opendata/issues.csv"))) == 1
    assert '"FeatureCollection"' in download(Client(), "/opendata/issues.geojson")


@pytest.mark.django_db
def test_publish_open_data_command_works_before_any_report() -> None:
    call_command("publish_open_data", stdout=io.StringIO())
    assert OpenDataRelease.objects.get().issue_count == 0
    assert table(download(Client(), "/opendata/issues.csv")) == []
