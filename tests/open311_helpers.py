"""Helpers for the Open311 tests: form-encoded posts, XML parsing, a key."""

from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from django.test import Client

from tests.factories import INSIDE

BASE = "/open311/v2"
W3C = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"
WEST = (INSIDE[0], INSIDE[1] - 0.005)


def post_form(client: Client, path: str, data: dict[str, Any], **extra: Any) -> Any:
    """POST application/x-www-form-urlencoded, as the spec says clients do."""
    return client.post(
        f"{BASE}/{path}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
        **extra,
    )


def pothole(key: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "api_key": key,
        "service_code": "pothole",
        "lat": WEST[0],
        "long": WEST[1],
        "description": "Deep pothole by the school",
        "attribute[size]": "large",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)
