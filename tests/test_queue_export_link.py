"""The queue links the reports' CSV export for every role that may download it, and only those
(it was linked only from the statistics page, which operators may not open)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from backoffice.models import Role, StaffProfile
from tests.factories import INSIDE, Territory

EXPORT = 'href="/office/export/reports.csv"'


@pytest.mark.parametrize("role", list(Role))
def test_the_queue_links_the_csv_export_exactly_for_the_roles_that_may_download_it(
    territory: Territory, role: Role
) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    APIClient().post("/api/v1/reports/", form, format="json")
    user = get_user_model().objects.create_user(f"{role}-user", password="pw")
    StaffProfile.objects.create(user=user, role=role, department=territory.roads)
    client = Client()
    client.force_login(user)

    queue = client.get("/office/")
    export = client.get("/office/export/reports.csv")

    assert queue.status_code == 200
    assert (EXPORT in queue.content.decode()) is (export.status_code == 200)
    if role == Role.OPERATOR:  # the reviewer's case: allowed, and no page linked it
        assert export.status_code == 200 and EXPORT in queue.content.decode()
