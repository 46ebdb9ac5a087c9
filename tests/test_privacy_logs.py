"""Logs never hold e-mail addresses, phone numbers or a photo's exact position.

The main flows run with every logger at DEBUG and Django's SQL log on (its queries carry the
contacts as parameters), through the handlers of settings.LOGGING, written to a buffer.
"""

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.log import configure_logging
from PIL import Image
from rest_framework.test import APIClient

from backoffice import tasks as office_tasks
from backoffice.models import Role, StaffProfile
from insights.actions import publish_open_data
from open311.actions import create_api_key
from privacy.logging import MaskPersonalData, mask_personal_data
from reports import tasks
from reports.models import Report, TimelineEntry
from routing.models import Crew
from routing.planning import plan_routes
from tests.factories import INSIDE, Territory, moved
from tests.open311_helpers import post_form, pothole

CITIZEN = {"name": "Maria Rossi", "email": "maria.rossi@example.org", "phone": "+39 333 1234567"}
SUPPORTER = "luca.bianchi@example.org"
CALLER = {"name": "Giuseppe Verdi", "email": "g.verdi@example.org", "phone": "06 98765432"}
OPEN311 = {"first_name": "Anna", "last_name": "Neri", "email": "anna.neri@example.org"}
OPEN311_PHONE = "+39 347 5550199"
# EXIF positions: 60°10'21.6" N 24°56'44.4" E (the citizen's photo), 60°10'33.48" N
# 24°57'11.16" E (the crew's after photo); as they would print in decimal degrees.
CITIZEN_GPS = {1: "N", 2: (60.0, 10.0, 21.6), 3: "E", 4: (24.0, 56.0, 44.4)}
CREW_GPS = {1: "N", 2: (60.0, 10.0, 33.48), 3: "E", 4: (24.0, 57.0, 11.16)}
# Names are not masked (no pattern tells a name): only Django's SQL log at DEBUG shows them.
SECRETS = [
    CITIZEN["email"],
    CITIZEN["phone"],
    "3331234567",
    SUPPORTER,
    CALLER["email"],
    CALLER["phone"],
    OPEN311["email"],
    OPEN311_PHONE,
    "60.1726",
    "24.9456",
    "60.1759",
    "24.9531",
]


def jpeg_with_gps(gps: dict[int, object]) -> bytes:
    image = Image.new("RGB", (640, 480), "#557744")
    exif = image.getexif()
    exif.get_ifd(0x8825).update(gps)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


# Made at import, before the test's log capture: only the server's handling is under test.
CITIZEN_JPEG, CREW_JPEG = jpeg_with_gps(CITIZEN_GPS), jpeg_with_gps(CREW_GPS)


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", content, content_type="image/jpeg")


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """Configure logging as the server does, at DEBUG, with the console writing to a buffer."""
    buffer = io.StringIO()
    config: dict[str, Any] = {**settings.LOGGING, "root": {**settings.LOGGING["root"]}}
    config["handlers"] = {"console": {**settings.LOGGING["handlers"]["console"], "stream": buffer}}
    config["root"]["level"] = "DEBUG"
    # What a developer sets to see the SQL: the queries carry the contacts as parameters.
    config["loggers"] = {**settings.LOGGING["loggers"], "django.db.backends": {"level": "DEBUG"}}
    configure_logging(settings.LOGGING_CONFIG, config)
    connection.force_debug_cursor = True
    try:
        yield buffer
    finally:
        connection.force_debug_cursor = False
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_the_filter_masks_messages_arguments_and_exceptions() -> None:
    record = logging.LogRecord(
        "x",
        logging.ERROR,
        __file__,
        1,
        "contact %s, %r",
        ("a.b@example.org", {"p": "+39 06 1234 5678"}),
        None,
    )
    try:
        raise ValueError("duplicate key (email)=(a.b@example.org)")
    except ValueError:
        record.exc_info = sys.exc_info()

    assert MaskPersonalData().filter(record)

    text = logging.Formatter().format(record)
    assert "example.org" not in text and "1234 5678" not in text
    assert text.count("[e-mail]") == 3 and "[phone]" in text  # message, source line, error


def test_coordinates_dates_and_ids_are_left_readable() -> None:
    kept = "issue 1234567 at 60.16985,24.93841 on 2026-11-23 07:52:41 took 12.5 ms"
    assert mask_personal_data(kept) == kept


@pytest.mark.parametrize(
    "kept",
    [
        "open data published: opendata/20261124-034230-fece4280 (246 issues)",
        "wrote exports/20261124_034230.csv and 20261124T034230Z.json at 19991231235959",
    ],
)
def test_compact_timestamps_in_paths_and_ids_are_left_readable(kept: str) -> None:
    assert mask_personal_data(kept) == kept


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Beside a timestamp, a number in free text is still masked.
        (
            "opendata/20261124-034230-fece4280/ written; call 333 1234567 or +39 06 98765432",
            "opendata/20261124-034230-fece4280/ written; call [phone] or [phone]",
        ),
        # Shaped like a timestamp but no moment (month 13, hour 25), or one digit short.
        ("ring 20261324-034230", "ring [phone]"),
        ("ring 20261124-254230", "ring [phone]"),
        ("ring 2026112403423", "ring [phone]"),
        # A country prefix makes it a number whatever follows.
        ("ring +20261124034230", "ring [phone]"),
    ],
)
def test_phone_numbers_are_masked_even_beside_or_shaped_like_timestamps(
    text: str, masked: str
) -> None:
    assert mask_personal_data(text) == masked


def test_the_open_data_release_is_logged_with_its_folder(
    territory: Territory, media_root: Path, log: io.StringIO
) -> None:
    release = publish_open_data()

    folder = release.csv_name.rsplit("/", 1)[0]
    assert f"open data published: {folder} (0 issues)" in log.getvalue()


def test_every_configured_handler_masks_personal_data() -> None:
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    handlers = {
        (logger.name, handler)
        for logger in loggers
        for handler in logger.handlers
        # Libraries' NullHandlers write nothing; pytest's own capture is not the server's.
        if not isinstance(handler, logging.NullHandler)
        and not type(handler).__module__.startswith("_pytest")
    }
    assert handlers
    for name, handler in handlers:
        assert any(isinstance(f, MaskPersonalData) for f in handler.filters), (name, handler)


def test_main_flows_at_debug_leave_no_contact_and_no_photo_position_in_the_logs(
    territory: Territory, log: io.StringIO
) -> None:
    api = APIClient()
    submitted = api.post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": '{"size": "large"}',
            "description": "Buca profonda",
            "photo": [upload(CITIZEN_JPEG)],
            **CITIZEN,
        },
        format="multipart",
    )
    assert submitted.status_code == 201, submitted.json()
    report = Report.objects.get(pk=submitted.json()["id"])
    assert report.photo_location is not None  # the position was read, stored and queried
    tasks.after_report_submitted(report.pk)
    refused = api.post("/api/v1/reports/", {"email": "not-an-address@", "lat": "x"})
    assert refused.status_code == 400

    supported = api.post(f"/api/v1/issues/{report.issue_id}/support/", {"email": SUPPORTER})
    assert supported.status_code == 201

    operator = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=operator, role=Role.OPERATOR)
    office = Client()
    office.force_login(operator)
    far = moved(INSIDE, metres_north=500)
    called = office.post(
        "/office/intake/submit/",
        {"lat": far[0], "lon": far[1], "category": "pothole", **CALLER},
        follow=True,
    )
    assert called.status_code == 200
    office_tasks.send_tracking_code(Report.objects.latest("pk").pk)

    key = create_api_key(name="FixMyStreet", owner="mySociety")[1]
    filed = post_form(Client(), "requests.json", pothole(key, phone=OPEN311_PHONE, **OPEN311))
    assert filed.status_code == 201
    updated = post_form(
        Client(),
        "servicerequestupdates.json",
        {
            "api_key": key,
            "service_request_id": str(report.issue_id),
            "description": "Still there",
            "email": OPEN311["email"],
            "phone": OPEN311_PHONE,
            "updated_datetime": timezone.localtime().isoformat(timespec="seconds"),
        },
    )
    assert updated.status_code == 201, updated.content

    crew = Crew.objects.create(
        department=territory.roads, name="Squadra A", depot=territory.roads.depots.get()
    )
    worker = get_user_model().objects.create_user("operaio", password="pw")
    crew.members.add(worker)
    van = Client()
    van.force_login(worker)
    stop = (
        plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)
        .routes.get()
        .stops.get(issue_id=report.issue_id)
    )
    van.post(f"/crew/stops/{stop.pk}/start/")
    done = van.post(
        f"/crew/stops/{stop.pk}/done/",
        {"note": "fatto", "photo": upload(CREW_JPEG)},
        follow=True,
    )
    assert done.status_code == 200
    for entry in TimelineEntry.objects.filter(issue_id=report.issue_id, public=True):
        tasks.send_issue_update(entry.pk)
    assert Client().post("/privacy/", {"email": CITIZEN["email"]}).status_code == 200

    text = log.getvalue()
    assert "INSERT INTO" in text and "[e-mail]" in text and "[phone]" in text
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
