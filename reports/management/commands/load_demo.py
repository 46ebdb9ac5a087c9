"""python manage.py load_demo: fill an empty database with the demo city; safe on every start.

Refused with SEGNALA_ENV=production: a town's empty database would get Helsinki's boundary,
catalogue and fake reports, published in its open data, and nothing takes them out again.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from backoffice.models import Role, StaffProfile
from config.celery import app as celery_app
from geo.models import Department
from insights.actions import publish_open_data
from insights.models import OpenDataRelease
from reports.demo import DemoSummary, demo_needed, load_demo
from reports.demo.loader import DEFAULT_REPORTS
from routing.models import Crew
from routing.planning import PlanningRefused, current_plan, plan_routes


class Command(BaseCommand):
    help = (
        "Load the demo city (Helsinki extract, offices, catalogue, reports) into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reports", type=int, default=DEFAULT_REPORTS, help="how many demo reports to file"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="load the demo even with SEGNALA_ENV=production (a demonstration server)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                "SEGNALA_ENV=production: the demo city (Helsinki, with fake reports that would "
                "be published as your open data) is not loaded into a production database. "
                "A town starts with migrate, createsuperuser and its own territory and "
                "catalogue in the admin (README, Starting a real town). For a demonstration "
                "server, run load_demo --allow-production."
            )
        if demo_needed():
            with _tasks_in_process():
                summary = load_demo(reports=options["reports"])
            self.stdout.write(self.style.SUCCESS(_describe(summary)))
        else:
            self.stdout.write("The database already holds data: demo not loaded.")
        if not settings.PRODUCTION:
            self._create_development_accounts()
            self._plan_todays_routes()
            self._publish_open_data_once()

    def _create_development_accounts(self) -> None:
        user_model = get_user_model()
        if user_model.objects.exists():
            return
        user_model.objects.create_superuser("admin", "admin@example.org", "admin")
        crew = Crew.objects.filter(active=True).order_by("department__name", "name").first()
        if crew is not None:
            # Development only, like admin / admin: never created with SEGNALA_ENV=production.
            member = user_model.objects.create_user("squadra", password="squadra")  # noqa: S106
            crew.members.add(member)
            coordinator = user_model.objects.create_user("ufficio", password="ufficio")  # noqa: S106
            StaffProfile.objects.create(
                user=coordinator, role=Role.COORDINATOR, department=crew.department
            )
        operator = user_model.objects.create_user("urp", password="urp")  # noqa: S106
        StaffProfile.objects.create(user=operator, role=Role.OPERATOR)
        self.stdout.write(
            self.style.WARNING(
                "Created the accounts admin / admin, urp / urp (an URP operator), ufficio / "
                "ufficio (a department coordinator) and squadra / squadra (a crew member) "
                "(development only)."
            )
        )

    def _plan_todays_routes(self) -> None:
        """Give the demo's crews a route for today, so the crew page has something to show.

        Planned for the whole shift, as in the morning: planned from the current time, a demo
        loaded after the shifts end would give every crew an empty route.
        """
        today = timezone.localdate()
        for department in Department.objects.filter(crews__active=True).distinct():
            if current_plan(department, today) is not None:
                continue
            try:
                plan_routes(department, today, time_limit_s=1.0)
            except PlanningRefused as exc:
                self.stdout.write(f"No route for {department}: {exc}")

    def _publish_open_data_once(self) -> None:
        """Publish the open data of a database loaded before the demo did it itself.

        /stats/ links to the files, which the nightly job publishes only at 03:30.
        """
        if not OpenDataRelease.objects.exists():
            release = publish_open_data()
            self.stdout.write(f"Open data published ({release.issue_count} issues).")


@contextmanager
def _tasks_in_process() -> Iterator[None]:
    """Run the tasks queued by the submissions here (thumbnails, addresses), not on a worker.

    The demo must be complete without a running worker, and must not leave hundreds of
    messages on the broker.
    """
    previous = celery_app.conf.task_always_eager
    trace_log = logging.getLogger("celery.app.trace")  # one INFO line per task otherwise
    previous_level = trace_log.level
    celery_app.conf.task_always_eager = True
    trace_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous
        trace_log.setLevel(previous_level)


def _describe(summary: DemoSummary) -> str:
    return (
        f"Demo loaded in {summary.seconds} s: {summary.municipality} with {summary.areas} "
        f"areas and {summary.road_segments} road segments; {summary.departments} departments, "
        f"{summary.crews} crews, {summary.categories} categories; {summary.reports} reports "
        f"({summary.photos} photos, {summary.emergencies} emergencies) in {summary.issues} "
        f"issues, {summary.closed_issues} closed; open data published "
        f"({summary.open_data_issues} issues)."
    )
