import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from routing.models import Crew, RoutePlan
from tests.factories import INSIDE, Territory

EXTERNAL_ASSET = re.compile(rb"""(?:src|href)=["'](?:https?:)?//""")


@pytest.fixture
def staff_client(db: None) -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@comune.example", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_page_renders_with_local_assets_only(
    staff_client: Client, territory: Territory
) -> None:
    APIClient().post(
        "/api/v1/reports/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}},
        format="json",
    )
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        pages = [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")]
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
        for url in pages:
            response = staff_client.get(url)
            assert response.status_code == 200, url
            assert not EXTERNAL_ASSET.search(response.content), url


def test_the_department_admin_plans_todays_crew_routes(
    staff_client: Client, territory: Territory
) -> None:
    url = reverse("admin:geo_department_changelist")
    action = {"action": "plan_todays_routes", "_selected_action": [territory.roads.pk]}
    refused = staff_client.post(url, action, follow=True).content.decode()
    assert "no active crew" in refused and not RoutePlan.objects.exists()
    Crew.objects.create(department=territory.roads, name="A", depot=territory.roads.depots.get())
    APIClient().post(
        "/api/v1/reports/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}},
        format="json",
    )

    staff_client.post(url, action, follow=True)

    plan = RoutePlan.objects.get(department=territory.roads)
    assert plan.routes.count() == 1
