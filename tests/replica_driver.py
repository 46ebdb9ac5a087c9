"""Run by tests/test_scale_replica.py in a process of its own, whose DATABASES hold the primary
and its streaming replica (REPLICA_DATABASE_URL): requests go through the real WSGI
application (config/wsgi.py) and each step reports which database answered, as JSON."""

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.util import setup_testing_defaults

import django

django.setup()

from django.db import connections  # noqa: E402

from config.db_router import forget_replica_health  # noqa: E402
from config.wsgi import application  # noqa: E402
from tests.factories import INSIDE, make_territory  # noqa: E402


def call(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    status: list[str] = []
    chunks = application(environ, lambda s, headers, exc_info=None: status.append(s))
    content = b"".join(chunks)
    return int(status[0].split()[0]), content


@contextmanager
def counting() -> Iterator[dict[str, int]]:
    counts = {"default": 0, "replica": 0}

    def counter(alias: str) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            if "pg_last_wal" not in sql:  # the router's own health check
                counts[alias] += 1
            return execute(sql, *args)

        return wrapper

    with (
        connections["default"].execute_wrapper(counter("default")),
        connections["replica"].execute_wrapper(counter("replica")),
    ):
        yield counts


def step(name: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
    with counting() as counts:
        status, _content = call(method, path, body)
    return {"step": name, "status": status, **counts}


def replica_has(issue_id: int) -> bool:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM reports_issue WHERE id = %s", [issue_id])
        return cursor.fetchone() is not None


def submit(offset: float) -> dict[str, Any]:
    body = {
        "lat": INSIDE[0] + offset,
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": {"size": "small"},
    }
    with counting() as counts:
        status, content = call("POST", "/api/v1/reports/", body)
    assert status == 201, content
    return {**json.loads(content), **counts}


def wait_until(check: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(check)
        time.sleep(0.1)


def main() -> None:
    make_territory()
    steps = []
    first = submit(0.0)
    steps.append({"step": "submit (write)", "status": 201, **{k: first[k] for k in counts()}})
    wait_until(lambda: replica_has(first["issue"]))
    steps.append(step("public issue page, replica in step", "GET", f"/issues/{first['issue']}/"))
    steps.append(step("public API issue", "GET", f"/api/v1/issues/{first['issue']}/"))
    nearby = f"/api/v1/issues/nearby/?lat={INSIDE[0]}&lon={INSIDE[1]}&category=pothole"
    steps.append(step("nearby suggestions", "GET", nearby))
    steps.append(step("tracking page (reads its write)", "GET", f"/t/{first['tracking_code']}/"))
    steps.append(step("submission form (not a listed path)", "GET", "/"))

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    second = submit(0.002)
    time.sleep(1.5)  # past REPLICA_MAX_LAG_S (1 s in the test)
    forget_replica_health()
    lagging = step("public issue page, replica paused", "GET", f"/issues/{second['issue']}/")
    steps.append({**lagging, "replica_has_it": replica_has(second["issue"])})
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_until(lambda: replica_has(second["issue"]))
    forget_replica_health()
    steps.append(step("public issue page, replica caught up", "GET", f"/issues/{second['issue']}/"))

    connections["replica"].close()
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            "15",
            "segnala_replica",
            "stop",
            "-m",
            "fast",
        ],
        check=True,
    )
    try:
        forget_replica_health()
        steps.append(step("public issue page, replica down", "GET", f"/issues/{first['issue']}/"))
    finally:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "segnala_replica", "start"],
            check=True,
        )
    json.dump(steps, sys.stdout)


def counts() -> tuple[str, str]:
    return ("default", "replica")


if __name__ == "__main__":
    main()
