"""Crew shifts: a night shift crosses midnight; a shift of no length is refused, never a 500
(real PostGIS, the real planner)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import Crew, RoutePlan
from routing.planning import plan_routes
from tests.factories import INSIDE, Territory, moved
from tests.test_crew_page import report

pytestmark = pytest.mark.usefixtures("midday")


def night_crew(territory: Territory, start: dt.time, end: dt.time) -> Crew:
    return Crew.objects.create(
        department=territory.roads,
        name="Squadra notte",
        depot=territory.roads.depots.get(),
        shift_start=start,
        shift_end=end,
    )


def test_a_night_shift_is_planned_from_its_start_to_the_next_morning(
    territory: Territory,
) -> None:
    crew = night_crew(territory, dt.time(22, 0), dt.time(6, 0))
    for i in range(3):
        report(moved(INSIDE, metres_north=150 * i, metres_east=80 * i))
    day = timezone.localdate()
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(22, 0)))
    ends = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6, 0)))

    route = plan_routes(territory.roads, day, time_limit_s=0.3).routes.get(crew=crew)

    stops = list(route.stops.all())
    assert len(stops) == 3
    assert all(starts <= stop.arrives_at < stop.departs_at <= ends for stop in stops)
    assert route.ends_at is not None and starts < route.ends_at <= ends


def test_the_api_plans_a_night_shift(territory: Territory) -> None:
    night_crew(territory, dt.time(22, 0), dt.time(6, 0))
    report(INSIDE)
    staff = APIClient()
    staff.force_authenticate(get_user_model().objects.create_user("c", is_staff=True))

    response = staff.post(
        f"/api/v1/departments/{territory.roads.pk}/routes/plan",
        {"time_limit_s": 0.3},
        format="json",
    )

    assert response.status_code == 201, response.json()
    [route] = response.json()["routes"]
    assert len(route["stops"]) == 1


def test_a_shift_that_ends_when_it_starts_is_refused_by_the_model() -> None:
    crew = Crew(shift_start=dt.time(8, 0), shift_end=dt.time(8, 0))
    with pytest.raises(ValidationError) as refused:
        crew.clean()
    assert refused.value.message_dict == {
        "shift_end": ["The shift must end at another time than it starts."]
    }


def test_the_crew_admin_refuses_a_shift_of_no_length_and_saves_a_night_shift(
    territory: Territory,
) -> None:
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("boss", "b@x.example", "pw"))
    url = reverse("admin:routing_crew_add")
    form = {
        "department": territory.roads.pk,
        "name": "Squadra notte",
        "depot": territory.roads.depots.get().pk,
        "shift_start": "22:00",
        "active": "on",
    }

    same = admin.post(url, {**form, "shift_end": "22:00"})
    night = admin.post(url, {**form, "shift_end": "06:00"})

    assert same.status_code == 200
    assert "The shift must end at another time than it starts." in same.content.decode()
    assert night.status_code == 302
    assert Crew.objects.get().shift_end == dt.time(6, 0)
    assert "An end before the start means the next day" in admin.get(url).content.decode()


def test_planning_a_shift_of_no_length_answers_400_naming_the_crew(territory: Territory) -> None:
    # Saved around the admin's check (an old row, a script).
    night_crew(territory, dt.time(8, 0), dt.time(8, 0))
    report(INSIDE)
    staff = APIClient()
    staff.force_authenticate(get_user_model().objects.create_user("c", is_staff=True))

    response = staff.post(
        f"/api/v1/departments/{territory.roads.pk}/routes/plan", {}, format="json"
    )

    assert response.status_code == 400
    assert "Squadra notte" in response.json()["detail"]
    assert not RoutePlan.objects.exists()
