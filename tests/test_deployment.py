"""Deploying Segnala for a real town: no demo in production, the client address behind a
proxy, the map opening on the town, local holidays, tiles with {s}, a private S3 bucket."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.test import Client

from geo.importer import subdivide_boundary
from geo.models import Municipality
from geo.querysets import map_start
from geo.units import WGS84
from reports.models import Report
from tests.factories import Territory, square
from tests.test_scale_s3 import s3_endpoint  # noqa: F401 - a local S3 server (moto)

# Variables of the machine running the tests that would change what the settings read.
FROM_THE_SHELL = {
    "SEGNALA_ENV",
    "DEBUG",
    "TILE_URL",
    "TILE_SUBDOMAINS",
    "MAP_CENTER",
    "PATRON_SAINT_DAY",
    "LOCAL_HOLIDAYS",
    "STORAGE_BACKEND",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_PRIVATE_STORAGE_BUCKET_NAME",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in FROM_THE_SHELL}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )


def setting(name: str, **env: str) -> Any:
    result = run_python(
        f"import json; from config import settings; print(json.dumps(settings.{name}))", **env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(**env: str) -> str:
    result = run_python("import config.settings", **env)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


# --- 1. the demo city stays out of production -----------------------------------------------


def test_load_demo_refuses_a_production_database(db: None, settings: Any) -> None:
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="SEGNALA_ENV=production") as refused:
        call_command("load_demo", reports=5)

    assert "--allow-production" in str(refused.value)
    assert not Municipality.objects.exists() and not Report.objects.exists()


def test_load_demo_in_production_when_asked_explicitly(
    territory: Territory, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.PRODUCTION = True

    call_command("load_demo", allow_production=True)

    assert "already holds data" in capsys.readouterr().out  # the usual rule from then on
    assert not get_user_model().objects.exists()  # never the development accounts


def make_dry_run(target: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "SEGNALA_ENV"}
    result = subprocess.run(
        ["make", "-n", target],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_make_run_loads_the_demo_in_development_only() -> None:
    assert "manage.py load_demo" in make_dry_run("run")
    in_production = make_dry_run("run", SEGNALA_ENV="production")
    assert "load_demo" not in in_production
    assert "the demo city is not loaded" in in_production


# --- 6. behind a reverse proxy every citizen is their own client ------------------------------


def fail_login(client: Client, forwarded_for: str) -> int:
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",  # the proxy
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return response.status_code


def test_the_login_lockout_is_per_citizen_behind_a_proxy(db: None, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    get_user_model().objects.create_superuser("boss", "boss@comune.example", "right-password")

    attacker = [fail_login(Client(), "93.40.1.1") for _ in range(5)]
    colleague = Client().post(
        "/admin/login/",
        {"username": "boss", "password": "right-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="93.40.1.2",
    )

    assert attacker[-1] == 429
    assert colleague.status_code == 302  # not locked out by someone else's failures


def test_personal_data_requests_are_limited_per_citizen_behind_a_proxy(
    db: None, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.PRIVACY_REQUESTS_PER_HOUR = 1

    def ask(n: int) -> int:
        return (
            Client()
            .post(
                "/privacy/",
                {"email": f"person{n}@example.org"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"93.40.1.{n}",
            )
            .status_code
        )

    assert [ask(n) for n in range(3)] == [200, 200, 200]
    assert len(mail.outbox) == 3


def test_one_setting_gives_the_proxies_to_every_limit() -> None:
    assert setting("REST_FRAMEWORK['NUM_PROXIES']", TRUSTED_PROXIES="2") == 2
    assert setting("AXES_CLIENT_IP_CALLABLE") == "config.client_address.client_address"
    assert "TRUSTED_PROXIES" in refusal(TRUSTED_PROXIES="-1")


# --- 11. maps open on the town, not on Helsinki ------------------------------------------------

VIGNOLA = (44.4806, 11.0297)


def vignola() -> Municipality:
    lat, lon = VIGNOLA
    outline = square(lon - 0.05, lat - 0.03, lon + 0.05, lat + 0.03)
    town = Municipality.objects.create(
        name="Comune di Vignola", boundary=MultiPolygon(outline, srid=WGS84)
    )
    subdivide_boundary(town)
    return town


def admin_map_options(client: Client, path: str) -> dict[str, Any]:
    """django-leaflet's options for the map of an admin form (its `djoptions` JSON)."""
    html = client.get(path).content.decode()
    start = html.index("var djoptions = ") + len("var djoptions = ")
    return dict(json.JSONDecoder().raw_decode(html, start)[0])


def test_admin_maps_open_on_the_municipality(db: None, admin_client: Client) -> None:
    vignola()

    for path in ("/admin/geo/area/add/", "/admin/geo/depot/add/"):
        options = admin_map_options(admin_client, path)
        lat, lon = options["center"]
        assert lat == pytest.approx(VIGNOLA[0], abs=0.01), path
        assert lon == pytest.approx(VIGNOLA[1], abs=0.01), path
        assert 11 <= options["zoom"] <= 14  # the 8 km x 7 km town, whole


def test_admin_maps_open_on_map_center_before_a_boundary_exists(
    db: None, admin_client: Client, settings: Any
) -> None:
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "DEFAULT_CENTER": VIGNOLA}

    options = admin_map_options(admin_client, "/admin/geo/municipality/add/")

    assert options["center"] == list(VIGNOLA)


def test_map_center_is_read_from_the_environment() -> None:
    assert setting("LEAFLET_CONFIG['DEFAULT_CENTER']", MAP_CENTER="44.4806,11.0297") == [
        44.4806,
        11.0297,
    ]
    assert setting("LEAFLET_CONFIG['DEFAULT_CENTER']") != [60.1699, 24.9384]  # not Helsinki
    assert "MAP_CENTER must be a latitude and a longitude" in refusal(MAP_CENTER="11.03")


def test_the_territory_extent_is_cached_and_follows_a_new_boundary(
    db: None, django_assert_num_queries: Any
) -> None:
    town = vignola()
    map_start()
    with django_assert_num_queries(0):
        start = map_start()
    assert start["centre"] == pytest.approx(list(VIGNOLA), abs=0.01)

    town.boundary = MultiPolygon(square(9.1, 45.4, 9.3, 45.5), srid=WGS84)  # Milan's way
    town.save()
    subdivide_boundary(town)  # as the admin does on every save

    assert map_start()["centre"] == pytest.approx([45.45, 9.2], abs=0.01)


# --- 13. local holidays: validated, several ---------------------------------------------------


@pytest.mark.parametrize("day", ["20-03", "ciao", "02-30", "3-20", "03-20,"])
def test_a_malformed_local_holiday_stops_the_process_naming_the_format(day: str) -> None:
    if day == "03-20,":  # a trailing comma is only an empty item
        assert setting("LOCAL_HOLIDAYS", PATRON_SAINT_DAY=day) == ["03-20"]
        return
    message = refusal(PATRON_SAINT_DAY=day)

    assert "PATRON_SAINT_DAY" in message and "MM-DD" in message and repr(day) in message


def test_local_holidays_are_a_comma_list_beside_the_patron_saint() -> None:
    assert setting("LOCAL_HOLIDAYS") == ["06-24"]  # the default patron, San Giovanni
    assert setting("LOCAL_HOLIDAYS", PATRON_SAINT_DAY="03-20") == ["03-20"]
    assert setting("LOCAL_HOLIDAYS", PATRON_SAINT_DAY="03-20", LOCAL_HOLIDAYS="12-24,02-29") == [
        "02-29",
        "03-20",
        "12-24",
    ]
    assert setting("LOCAL_HOLIDAYS", LOCAL_HOLIDAYS="01-31") == ["01-31"]  # no default patron
    assert setting("LOCAL_HOLIDAYS", PATRON_SAINT_DAY="") == []  # none at all
    assert "LOCAL_HOLIDAYS" in refusal(LOCAL_HOLIDAYS="01-31,31-01")


# --- 14. tile servers with {s} subdomains -----------------------------------------------------

CSP_OF_A_PAGE = """
import django
from django.test.utils import setup_test_environment
django.setup()
setup_test_environment()
from django.test import Client
print(Client().get("/no-such-page/")["Content-Security-Policy"])
"""


def test_tiles_with_subdomains_are_allowed_by_the_content_security_policy() -> None:
    osm_fr = "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png"
    result = run_python(CSP_OF_A_PAGE, TILE_URL=osm_fr, DEBUG="false")
    assert result.returncode == 0, result.stderr
    [img_src] = [d for d in result.stdout.strip().split("; ") if d.startswith("img-src")]

    assert img_src.split()[1:] == [
        "'self'",
        "data:",
        "blob:",
        "https://a.tile.openstreetmap.fr",
        "https://b.tile.openstreetmap.fr",
        "https://c.tile.openstreetmap.fr",
    ]
    assert "{" not in result.stdout
    assert setting("TILE_SUBDOMAINS", TILE_URL=osm_fr, TILE_SUBDOMAINS="t1, t2") == ["t1", "t2"]
    assert "TILE_SUBDOMAINS" in refusal(TILE_URL=osm_fr, TILE_SUBDOMAINS="")


def test_maps_get_the_tile_subdomains(territory: Territory, settings: Any) -> None:
    settings.TILE_SUBDOMAINS = ["t1", "t2"]

    assert map_start()["tileSubdomains"] == ["t1", "t2"]
    assert Client().get("/").context["config"]["tileSubdomains"] == ["t1", "t2"]


# --- 10. photo originals kept by moderation never sit in the public bucket -------------------

S3 = {"STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "vignola-photos"}


def test_s3_needs_a_private_bucket_of_its_own() -> None:
    assert "AWS_PRIVATE_STORAGE_BUCKET_NAME" in refusal(**S3)
    same = refusal(**S3, AWS_PRIVATE_STORAGE_BUCKET_NAME="vignola-photos")
    assert "AWS_PRIVATE_STORAGE_BUCKET_NAME" in same

    storages = setting("STORAGES", **S3, AWS_PRIVATE_STORAGE_BUCKET_NAME="vignola-originals")

    assert storages["private"]["OPTIONS"]["bucket_name"] == "vignola-originals"
    assert storages["private"]["OPTIONS"]["querystring_auth"] is True
    assert "bucket_name" not in storages["default"].get("OPTIONS", {})  # AWS_STORAGE_BUCKET_NAME


def test_kept_originals_are_stored_in_the_private_bucket(
    s3_endpoint: str,  # noqa: F811 - the fixture imported above
    settings: Any,
) -> None:
    """Against a real local S3 server, with the storages the settings build."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    for bucket in ("vignola-photos", "vignola-originals"):
        s3.create_bucket(Bucket=bucket)
    built = setting("STORAGES", **S3, AWS_PRIVATE_STORAGE_BUCKET_NAME="vignola-originals")
    settings.AWS_STORAGE_BUCKET_NAME = "vignola-photos"
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_QUERYSTRING_AUTH = False
    settings.AWS_DEFAULT_ACL = None
    settings.STORAGES = {**settings.STORAGES, **{k: built[k] for k in ("default", "private")}}

    storages["default"].save("photos/public.jpg", ContentFile(b"public"))
    storages["private"].save("originals/kept.jpg", ContentFile(b"original"))

    def keys(bucket: str) -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}

    assert keys("vignola-photos") == {"photos/public.jpg"}
    assert keys("vignola-originals") == {"private/originals/kept.jpg"}
    assert "Signature=" in storages["private"].url("originals/kept.jpg")  # signed, for staff
