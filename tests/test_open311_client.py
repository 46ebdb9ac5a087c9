"""Our Open311 server read back by a third-party client from PyPI: georeport (Apache-2.0).

georeport only reads (services, definitions, requests), in JSON or XML via xmltodict; it has no
POST, so the request is submitted here with a plain form post through the live server.
"""

from typing import Any

import pytest
import requests as http
from georeport import GeoReport

from open311.actions import create_api_key
from tests.factories import make_territory
from tests.open311_helpers import pothole


@pytest.fixture
def endpoint(live_server: Any, transactional_db: None) -> str:
    make_territory()
    return f"{live_server.url}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_reads_services_and_our_request(endpoint: str, output_format: str) -> None:
    _row, key = create_api_key(name="georeport", owner="Tests")
    posted = http.post(f"{endpoint}/requests.json", data=pothole(key), timeout=10)
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    client = GeoReport(endpoint, api_key=key, output_format=output_format)

    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"pothole", "streetlight"}
    definition = client.get_service_definition("pothole")
    attributes = definition["attributes"]
    if output_format == "xml":  # xmltodict: <attributes><attribute>... as a dict of lists
        attributes = attributes["attribute"]
    assert attributes[0]["code"] == "size"
    assert attributes[0]["datatype"] == "singlevaluelist"
    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id
    assert one["status"] == "open"
    found = client.get_service_requests(service_code="pothole", status="open")
    if output_format == "xml":  # a single <request> comes back as a dict, not a list
        found = [found] if isinstance(found, dict) else found
    assert [r["service_request_id"] for r in found] == [request_id]
    listed = client.get_service_requests(service_request_id=request_id)
    listed = [listed] if isinstance(listed, dict) else listed
    assert listed[0]["description"] == "Deep pothole by the school"
