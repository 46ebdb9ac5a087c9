"""Photos on S3-compatible storage (STORAGE_BACKEND=s3, django-storages), against a real local
S3 server: moto's server mode, started here. Skipped, saying why, when it is not installed."""

import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from reports import tasks
from reports.models import Photo, Report
from tests.factories import INSIDE, Territory, jpeg_bytes

MOTO_SERVER = Path(sys.executable).parent / "moto_server"
BUCKET = "segnala-media"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    if not MOTO_SERVER.exists():
        pytest.skip("moto[server] is not installed (pip install -e '.[dev,s3]')")
    port = free_port()
    server = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def s3_options(endpoint: str, **extra: object) -> dict[str, object]:
    # What config.settings builds from AWS_* with STORAGE_BACKEND=s3.
    return {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "access_key": "testing",
        "secret_key": "testing",
        "region_name": "us-east-1",
        "querystring_auth": False,
        "default_acl": None,
        **extra,
    }


def test_photos_and_thumbnails_are_stored_in_the_bucket_and_served_from_it(
    territory: Territory, s3_endpoint: str
) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)
    backend = "storages.backends.s3.S3Storage"
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": backend, "OPTIONS": s3_options(s3_endpoint)},
        "private": {
            "BACKEND": backend,
            "OPTIONS": s3_options(s3_endpoint, location="private", querystring_auth=True),
        },
    }
    with override_settings(STORAGES=storages):
        response = APIClient().post(
            "/api/v1/reports/",
            {
                "lat": INSIDE[0],
                "lon": INSIDE[1],
                "category": "pothole",
                "answers": json.dumps({"size": "small"}),
                "photo": [SimpleUploadedFile("a.jpg", jpeg_bytes((1600, 1200)), "image/jpeg")],
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        report = Report.objects.get(pk=response.json()["id"])
        tasks.after_report_submitted(report.pk)
        photo = Photo.objects.get(report=report)
        image_url, thumbnail_url = photo.image.url, photo.thumbnail.url

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert {photo.image.name, photo.thumbnail.name} <= keys
    assert image_url.startswith(f"{s3_endpoint}/{BUCKET}/")
    assert thumbnail_url.startswith(f"{s3_endpoint}/{BUCKET}/")
    stored = s3.get_object(Bucket=BUCKET, Key=photo.thumbnail.name)["Body"].read()
    assert stored[:2] == b"\xff\xd8"  # a JPEG thumbnail, made from the photo in the bucket
