"""media_url: fetched safely from a local server (allowed for tests), stored like an upload."""

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage, storages
from django.test import Client
from PIL import Image

from open311.actions import create_api_key
from open311.fetch import allowed_address
from reports.models import Photo, Report, TimelineEntry
from tests.factories import Territory, jpeg_bytes
from tests.open311_helpers import BASE, post_form, pothole

PHOTO = jpeg_bytes((640, 480))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        routes = {
            "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, PHOTO),
            "/text": (200, {"Content-Type": "image/jpeg"}, b"<html>not a photo</html>"),
            "/redirect": (302, {"Location": "/photo.jpg"}, b""),
            "/to-private": (302, {"Location": f"http://127.0.0.2:{port}/photo.jpg"}, b""),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/missing": (404, {}, b""),
        }
        if self.path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"\xff" * 1024)
            return
        if self.path == "/endless":
            # No Content-Length: only the running count can stop it.
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(2000):
                    self.wfile.write(b"\xff" * 65536)
            except OSError:
                pass
            return
        if self.path == "/slow":
            self.send_response(200)
            self.end_headers()
            time.sleep(2)
            return
        status, headers, body = routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.OPEN311_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.PHOTO_MAX_BYTES = 2 * 1024 * 1024
    settings.OPEN311_MEDIA_READ_TIMEOUT_S = 0.5


@pytest.fixture
def key(territory: Territory) -> str:
    return create_api_key(name="Photo app", owner="Tests")[1]


def submit(client: Client, key: str, url: str) -> Any:
    return post_form(client, "requests.json", pothole(key, media_url=url))


def test_media_url_photo_is_stored_and_served_as_the_request_media_url(
    client: Client, key: str, server: str, allow_loopback: None
) -> None:
    response = submit(client, key, f"{server}/redirect")

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (640, 480)
    request_id = response.json()[0]["service_request_id"]
    served = client.get(f"{BASE}/requests/{request_id}.json").json()[0]["media_url"]
    assert served == f"http://testserver{photo.image.url}"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/to-private", "private or local"),
        ("/to-file", "http or https"),
        ("/loop", "too many times"),
        ("/missing", "404"),
        ("/declared-big", "larger than 2 MB"),
        ("/endless", "larger than 2 MB"),
        ("/slow", "could not be fetched"),
        ("/text", "not a photo"),
    ],
)
def test_unsafe_or_bad_media_is_refused_with_400(
    client: Client, key: str, server: str, allow_loopback: None, path: str, fragment: str
) -> None:
    response = submit(client, key, f"{server}{path}")

    assert response.status_code == 400, response.content
    assert fragment in response.json()[0]["description"]
    assert not Report.objects.exists()


def test_local_addresses_are_refused_unless_allowed(client: Client, key: str, server: str) -> None:
    response = submit(client, key, f"{server}/photo.jpg")

    assert response.status_code == 400
    assert "private or local" in response.json()[0]["description"]
    response = submit(client, key, "http://localhost./photo.jpg")
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_unresolvable_host_is_refused(client: Client, key: str) -> None:
    response = submit(client, key, "http://no-such-host.invalid/photo.jpg")
    assert response.status_code == 400
    assert "does not exist" in response.json()[0]["description"]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed_by_default(address: str, allowed: bool) -> None:
    assert allowed_address(address) is allowed


def test_a_citizen_update_may_bring_a_photo_staff_see_with_the_note(
    client: Client, key: str, server: str, allow_loopback: None, media_root: Any
) -> None:
    created = submit(client, key, f"{server}/photo.jpg").json()[0]
    update = {
        "api_key": key,
        "service_request_id": created["service_request_id"],
        "description": "La buca si è allargata, ecco la foto.",
        "update_id": "u-1",
        "media_url": f"{server}/photo.jpg",
    }

    accepted = post_form(client, "servicerequestupdates.json", update)
    refused = post_form(
        client,
        "servicerequestupdates.json",
        {**update, "update_id": "u-2", "media_url": f"{server}/text"},
    )

    assert accepted.status_code == 201, accepted.content
    assert refused.status_code == 400 and "media_url" in refused.content.decode()
    entry = TimelineEntry.objects.get(data__client_update_id="u-1")
    assert not entry.public and entry.data["photo"].startswith("updates/")
    # Staff only, as the note: never at a public /media/ address.
    assert not default_storage.exists(entry.data["photo"])
    with storages["private"].open(entry.data["photo"]) as stored, Image.open(stored) as image:
        assert image.size == (640, 480) and not image.getexif()
    assert not TimelineEntry.objects.filter(data__client_update_id="u-2").exists()
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("urp", is_staff=True))
    page = staff.get(f"/office/issues/{created['service_request_id']}/").content.decode()
    assert f"/office/updates/{entry.pk}/photo/" in page
    assert staff.get(f"/office/updates/{entry.pk}/photo/").status_code == 200
