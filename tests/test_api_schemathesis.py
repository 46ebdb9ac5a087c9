"""A bounded schemathesis run over the native API's OpenAPI schema: no input gives a server error.

Few examples per operation, derandomized so that CI sees the same cases every run; the API is
called in-process through WSGI inside the test's transaction (real PostGIS, test territory).
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.factories import Territory

EXAMPLES_PER_OPERATION = 15

# Generating the schema reads no database rows, so it can be loaded at collection time.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Keep the test's connection across WSGI calls, as Django's test Client does.

    The WSGI handler closes the database connection after each request, which would end the
    test's transaction (and lose its territory) after the first call.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_native_api_never_answers_a_server_error(
    case: Any, territory: Territory, same_connection: None
) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
