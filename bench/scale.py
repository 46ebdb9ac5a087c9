"""A large city on one 2-core machine: submissions, map, office pages, routes, re-clustering.

    .venv/bin/python bench/scale.py [--historical 1000000] [--open 50000] [--submissions 3000]
        [--photo-submissions 300] [--concurrency 8] [--web-workers 2] [--web-threads 4]
        [--samples 30] [--parts submissions,maps,pages,routes,batches] [--reload] [--smoke]
        [--out bench/results/scale.json]

Builds (once; --reload to redo) the large city in a database of its own (BENCH_DATABASE_URL,
default segnala_bench_scale): the demo territory, offices and catalogue (load_demo with a few
reports), then with COPY `open` open issues and closed issues holding `historical` reports,
inside the municipality's boundary (60% around 40 hot spots, the rest spread evenly), the
categories drawn with Zipf-like weights. The built city is kept as a copy (the database's
name + "_built") and every run starts from a fresh copy of it (seconds), so that runs
compare. Then, in one run:

1. submissions through the real HTTP API served by gunicorn (2 workers, as bin/serve, with a
   Celery worker running beside it) by `concurrency` client threads on keep-alive
   connections: requests per second and p50/p99; the same insert-and-match done by bare SQL
   through psycopg with the same concurrency (the API's statements, written by hand:
   bench/bare_submission.py); the framework's floor, that
   same SQL inside a Django REST framework view behind the same gunicorn and middleware
   (bench/floor_app.py: what the stack costs before Segnala's own code); and the API with a
   1 MB photo on each submission;
2. the public map viewport at zooms 12-18, cold and warm, against its bare SQL
   (bench/maps.py's measure_zoom, through Django's stack in-process);
3. the department queue (/office/), the nearby-suggestions call and the public issue page:
   latency and query count, in-process; the Open311 list with and without its date index;
4. route planning (road matrix + solver) for 50, 200 and 500 stops (bench/routing.py's days);
5. the batch jobs: re-clustering (dry run) and the priority refresh of every open issue;
6. the peak memory (VmHWM) of every gunicorn and Celery process.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

os.environ.setdefault("BENCH_DATABASE_URL", "postgis://postgres@127.0.0.1:5432/segnala_bench_scale")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/12")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("GEOCODER", "offline")  # the worker must not ask the internet

from bench.loaddb import setup_django

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "scale.json"
# Tracking codes of the COPYed reports: real ones are upper case with a dash (K7QM-2XPA).
REPORT_CODE_PREFIX = "z"
PARTS = ("submissions", "maps", "pages", "routes", "batches")
SUBMISSION_ROWS = ("api", "bare_sql", "framework_floor", "api_with_1mb_photo")
SMOKE = {"historical": 10_000, "open": 1_000, "submissions": 40, "photo_submissions": 8}


def percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values) * 1000.0, q)), 1) if values else 0.0


# --- the city ---------------------------------------------------------------------------


def city_points(count: int, rng: np.random.Generator) -> Iterator[tuple[float, float]]:
    """(lon, lat) inside the municipality: 60% around 40 hot spots, the rest evenly."""
    import shapely
    from shapely import wkb

    from geo.models import Municipality

    boundary = wkb.loads(bytes(Municipality.objects.get().boundary.wkb))
    shapely.prepare(boundary)
    west, south, east, north = boundary.bounds
    spots = _inside(boundary, rng, 40, west, south, east, north)
    sigma_lon, sigma_lat = (east - west) / 25, (north - south) / 25
    made = 0
    while made < count:
        n = max(1000, (count - made) * 2)
        hot = rng.random(n) < 0.6
        centre = spots[rng.integers(len(spots), size=n)]
        lon = np.where(hot, centre[:, 0] + rng.normal(0, sigma_lon, n), rng.uniform(west, east, n))
        lat = np.where(
            hot, centre[:, 1] + rng.normal(0, sigma_lat, n), rng.uniform(south, north, n)
        )
        keep = shapely.contains_xy(boundary, lon, lat)
        for x, y in zip(
            lon[keep][: count - made].tolist(), lat[keep][: count - made].tolist(), strict=True
        ):
            made += 1
            yield x, y


def _inside(boundary: Any, rng: np.random.Generator, n: int, *bounds: float) -> np.ndarray:
    import shapely

    west, south, east, north = bounds
    found: list[tuple[float, float]] = []
    while len(found) < n:
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.contains_xy(boundary, x, y):
            found.append((x, y))
    return np.array(found)


def build_city(historical: int, open_count: int, seed: int, reload: bool) -> dict[str, Any]:
    """Give the benchmark database the city as built, then return figures.

    Built once (load_demo, then COPY), the city is kept as a copy of its own (the database's
    name + "_built", labelled with its size and seed); every later run starts from a fresh
    copy of it, so no run measures a city that earlier runs' submissions changed (3,000
    submissions a run, 60% of them to 40 hot spots, grew issues there to hundreds of reports,
    and each run was slower than the last).
    """
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from reports.demo import demo_needed

    started = time.perf_counter()
    url = os.environ["BENCH_DATABASE_URL"]
    label = f"segnala bench city: historical={historical} open={open_count} seed={seed}"
    if not reload and _built_label(url) == label:
        connection.close()
        _copy_database(url, from_built=True)
        _reconnect()
        return {
            "built_s": 0.0,
            "reused": True,
            "restored_s": round(time.perf_counter() - started, 1),
        }
    if not demo_needed():
        # Another size, an interrupted build or --reload: start again from an empty database.
        connection.close()
        _drop_database(url)
        _reconnect()
    call_command("load_demo", reports=30, verbosity=0)
    get_user_model().objects.create_superuser("bench-admin", "", "bench-admin")
    _copy_city(historical, open_count, np.random.default_rng(seed))
    with connection.cursor() as cursor:
        # VACUUM too: a freshly loaded table has no visibility map, which a live one has.
        cursor.execute("VACUUM ANALYZE reports_issue")
        cursor.execute("VACUUM ANALYZE reports_report")
    connection.close()
    _copy_database(url, from_built=False, label=label)
    _reconnect()
    return {"built_s": round(time.perf_counter() - started, 1), "reused": False}


def restore_city() -> float:
    """Make the benchmark database a fresh copy of the built city; return the seconds taken.

    For scripts measuring on the city bench/scale.py built (bench/profile_submission.py):
    exits with a message when it has not been built.
    """
    url = os.environ["BENCH_DATABASE_URL"]
    if not _built_label(url):  # none, or an unlabelled one (a build cut off before its label)
        sys.exit("no built city: run bench/scale.py once first (it builds and keeps it)")
    started = time.perf_counter()
    _copy_database(url, from_built=True)
    return round(time.perf_counter() - started, 1)


def _reconnect() -> None:
    """Connect to the database made anew (setup_django creates and migrates it if needed)."""
    from django.db import connection

    setup_django()
    # This process fetched the PostGIS types' OIDs from the dropped database: fetch them
    # again (server-side binding sends them with every geometry parameter).
    connection.ensure_connection()
    connection.register_geometry_adapters(connection.connection, clear_caches=True)  # type: ignore[attr-defined]


def _admin_dsn_and_name(url: str) -> tuple[str, str]:
    dsn, name = url.replace("postgis://", "postgresql://").rsplit("/", 1)
    return f"{dsn}/postgres", name


def _built_label(url: str) -> str | None:
    """The label of the kept copy of the built city ("" if unlabelled); None if there is none."""
    import psycopg

    admin, name = _admin_dsn_and_name(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
            "WHERE datname = %s",
            [f"{name}_built"],
        ).fetchone()
    return row[0] if row else None


def _copy_database(url: str, *, from_built: bool, label: str = "") -> None:
    """Copy the working database to its kept copy (labelled), or the kept copy back over it.

    A file copy (STRATEGY FILE_COPY): ~1.2 GB in seconds, where the default strategy writes
    it all through the WAL. Sessions on either database are ended first.
    """
    import psycopg
    from psycopg import sql

    admin, name = _admin_dsn_and_name(url)
    source, target = (f"{name}_built", name) if from_built else (name, f"{name}_built")
    with psycopg.connect(admin, autocommit=True) as conn:
        _drop(conn, target)
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [source]
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )
        if label:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(target), sql.Literal(label)
                )
            )


def _drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_dsn_and_name(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        _drop(conn, name)


def _drop(conn: Any, name: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _copy_city(historical: int, open_count: int, rng: np.random.Generator) -> None:
    from django.db import connection

    from reports.models import Category
    from reports.priority import PriorityInputs, compute_priority, sla_elapsed_fraction

    categories = list(Category.objects.filter(handled_by_municipality=True).order_by("pk"))
    weights = np.array([1 / (k + 1) for k in range(len(categories))])
    weights /= weights.sum()
    # Closed issues hold 1.25 reports on average: that many issues make `historical` reports.
    closed_count = int(historical / 1.25)
    per_closed = 1 + rng.poisson(0.25, closed_count)
    per_closed[-1] += max(0, historical - int(per_closed.sum()))
    per_open = 1 + rng.geometric(0.6, open_count) - 1
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM reports_issue")
        first_issue = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM reports_report")
        first_report = cursor.fetchone()[0] + 1
    issues, reports = [], []
    points = city_points(open_count + closed_count, rng)
    report_id = first_report
    for n, (lon, lat) in enumerate(points):
        is_open = n < open_count
        category = categories[int(rng.choice(len(categories), p=weights))]
        if is_open:
            first = now - dt.timedelta(days=float(rng.exponential(20)))
            due = first + dt.timedelta(days=10)
            count = int(per_open[n])
            closed_at = None
            status = ("new", "assigned", "in_progress", "reopened")[int(rng.integers(4))]
        else:
            first = now - dt.timedelta(days=float(rng.uniform(1, 5 * 365)))
            due = first + dt.timedelta(days=10)
            count = int(per_closed[n - open_count])
            closed_at = min(now, first + dt.timedelta(days=float(rng.exponential(12))))
            status = "closed"
        urgencies = rng.integers(1, 6, count).tolist()
        priority, terms = compute_priority(
            PriorityInputs(
                base_severity=category.base_severity,
                urgencies=urgencies,
                emergency=False,
                people=count,
                sla_elapsed_fraction=sla_elapsed_fraction(first, due, now),
            )
        )
        explained = {
            "people": count,
            "terms": [
                {"factor": t.factor, "points": round(t.points, 2), "value": t.value} for t in terms
            ],
        }
        issue_id = first_issue + n
        last = first
        for urgency in urgencies:
            at = first + dt.timedelta(hours=float(rng.exponential(24)))
            last = max(last, at)
            dx, dy = rng.normal(0, 8, 2)
            reports.append(
                (
                    report_id,
                    issue_id,
                    category.pk,
                    f"SRID=4326;POINT({lon + dx / 55_600:.7f} {lat + dy / 111_320:.7f})",
                    "",
                    "{}",
                    urgency,
                    "api",
                    f"{REPORT_CODE_PREFIX}{report_id:08d}",
                    "{}",
                    at,
                )
            )
            report_id += 1
        issues.append(
            (
                issue_id,
                category.pk,
                category.department_id,
                f"SRID=4326;POINT({lon:.7f} {lat:.7f})",
                status,
                "" if is_open else "fixed",
                count,
                priority,
                json.dumps(explained),
                first,
                last,
                due,
                closed_at,
            )
        )
        if len(reports) >= 200_000:
            _flush(issues, reports)
            issues, reports = [], []
    _flush(issues, reports)
    with connection.cursor() as cursor:
        for table in ("reports_issue", "reports_report"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


def _flush(issues: list[tuple], reports: list[tuple]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY reports_issue (id, category_id, department_id, location, status, close_reason, "
            "report_count, priority, priority_explained, first_reported_at, last_reported_at, "
            "due_at, closed_at, address, emergency, hidden, supporter_count, version, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for row in issues:
                copy.write_row((*row, "bench", False, False, 0, 1, row[9], row[10]))
        with raw.copy(
            "COPY reports_report (id, issue_id, category_id, location, description, answers, "
            "urgency, channel, tracking_code, match, created_at, address, emergency, hidden, "
            "placed_by_staff, language, updated_at) FROM STDIN"
        ) as copy:
            for row in reports:
                copy.write_row((*row, "", False, False, False, "it", row[10]))


# --- submissions ------------------------------------------------------------------------


def submission_places(count: int, seed: int) -> list[tuple[float, float, str]]:
    """(lat, lon, category code) a citizen may submit: inside the city, category offered."""
    from geo.querysets import area_at
    from geo.units import make_point
    from reports.catalogue import question_specs
    from reports.querysets import categories_offered

    rng = np.random.default_rng(seed)
    allowed: dict[Any, list[str]] = {}
    places = []
    for lon, lat in city_points(count, rng):
        area = area_at(make_point(lat, lon))
        if area not in allowed:
            allowed[area] = [
                c.code
                for c in categories_offered(area).filter(handled_by_municipality=True)
                if not any(spec.required for spec in question_specs(c))
            ]
        if allowed[area]:
            places.append((lat, lon, allowed[area][int(rng.integers(len(allowed[area])))]))
    return places


def one_mb_photo() -> bytes:
    """A 1 MB JPEG a phone might send (noise over a gradient: it does not compress away)."""
    import io

    from PIL import Image

    rng = np.random.default_rng(7)
    side = 1600
    base = np.linspace(0, 255, side, dtype=np.float32)[None, :, None].repeat(side, 0).repeat(3, 2)
    noisy = np.clip(base + rng.normal(0, 28, (side, side, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=83)
    return out.getvalue()


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def http_run(
    port: int,
    requests: list[tuple[str, str, bytes, str]],
    concurrency: int,
) -> dict[str, Any]:
    """Send (method, path, body, content type) requests from `concurrency` keep-alive threads."""
    lock = threading.Lock()
    queue = list(reversed(requests))
    times: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                method, path, body, ctype = queue.pop()
            headers = {"Content-Type": ctype, "Accept-Language": "en"} if body else {}
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{path}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            elapsed = time.perf_counter() - began
            with lock:
                times.append(elapsed)
                if response.status >= 400:
                    errors.append(f"{path}: {response.status} {content[:200]!r}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(requests),
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_s": round(len(times) / wall, 1),
        "p50_ms": percentile_ms(times, 50),
        "p95_ms": percentile_ms(times, 95),
        "p99_ms": percentile_ms(times, 99),
        "max_ms": percentile_ms(times, 100),
        "wall_s": round(wall, 1),
    }


def submit_requests(
    places: list[tuple[float, float, str]], photo: bytes | None
) -> list[tuple[str, str, bytes, str]]:
    requests = []
    for n, (lat, lon, code) in enumerate(places):
        fields = {
            "lat": f"{lat:.7f}",
            "lon": f"{lon:.7f}",
            "category": code,
            "description": f"bench {n}: buca profonda vicino al marciapiede",
            "accuracy_m": "8",
        }
        if photo is None:
            requests.append(
                ("POST", "/api/v1/reports/", json.dumps(fields).encode(), "application/json")
            )
        else:
            body, ctype = multipart(fields, photo)
            requests.append(("POST", "/api/v1/reports/", body, ctype))
    return requests


def bare_sql_run(
    places: list[tuple[float, float, str]], concurrency: int, dsn: str
) -> dict[str, Any]:
    """The same insert-and-match as a submission, written by hand in SQL through psycopg."""
    import psycopg

    from bench.bare_submission import CategoryRow, bare_submission

    lock = threading.Lock()
    queue = list(reversed(places))
    times: list[float] = []

    def worker() -> None:
        categories: dict[str, CategoryRow] = {}
        with psycopg.connect(dsn) as conn:
            while True:
                with lock:
                    if not queue:
                        break
                    lat, lon, code = queue.pop()
                began = time.perf_counter()
                with conn.transaction(), conn.cursor() as cur:
                    bare_submission(cur, lat, lon, code, categories)
                elapsed = time.perf_counter() - began
                with lock:
                    times.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    wall = time.perf_counter() - started
    return {
        "requests": len(places),
        "errors": 0,
        "per_s": round(len(times) / wall, 1),
        "p50_ms": percentile_ms(times, 50),
        "p99_ms": percentile_ms(times, 99),
        "wall_s": round(wall, 1),
    }


def production_env() -> dict[str, str]:
    """The environment of a production deployment on loopback, on the benchmark database."""
    return {
        **os.environ,
        "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SEGNALA_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", uuid.uuid4().hex * 2),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        "MUNICIPALITY_NAME": "Comune di Prova",
        "DEFAULT_FROM_EMAIL": "segnala@comune.example",
        "TRUSTED_PROXIES": "0",  # clients connect to gunicorn directly
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "SERVE_MEDIA": "true",
        # Every client here is one address: the per-address limit on anonymous submissions
        # and on all attempts would turn the benchmark into a test of the 429 page.
        "SUBMISSIONS_RATE": "1000000/hour",
        "SUBMISSION_ATTEMPTS_RATE": "1000000/hour",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    """gunicorn and a Celery worker on the benchmark database, set up as in production.

    As bin/serve with SEGNALA_ENV=production (DEBUG off, collected static files, a real
    secret): `web_workers` processes of `web_threads` threads each serving `app`, and a
    Celery worker of 2 processes unless `worker` is False.
    """

    def __init__(
        self,
        web_workers: int = 2,
        web_threads: int = 4,
        *,
        app: str = "config.wsgi:application",
        worker: bool = True,
    ) -> None:
        self.port = free_port()
        venv = Path(sys.executable).parent
        env = production_env()
        subprocess.run(
            [str(venv / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        self.web = subprocess.Popen(
            [
                str(venv / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(web_workers),
                "--threads",
                str(web_threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        self.worker: subprocess.Popen[bytes] | None = None
        if worker:
            self.worker = subprocess.Popen(
                [
                    str(venv / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--loglevel=WARNING",
                    "--concurrency=2",
                    # Tasks an earlier run left in the queue are not this run's work.
                    "--purge",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        try:
            self.wait_ready()
        except RuntimeError:
            self.stop()  # a failed start leaves no gunicorn or worker behind
            raise

    def wait_ready(self) -> None:
        """Wait for gunicorn to answer. Not /healthz: it is 503 without Celery beat, which
        the benchmark does not run (config.health's heartbeats)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/favicon.ico")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def groups(self) -> list[tuple[str, subprocess.Popen[bytes]]]:
        """The masters started: ("web", gunicorn) and ("worker", Celery) if it runs."""
        return [("web", self.web)] + ([("worker", self.worker)] if self.worker else [])

    def peak_memory_mb(self) -> dict[str, float]:
        """VmHWM of every process of each group (master and children), in MB."""
        peaks = {}
        for name, proc in self.groups():
            pids = [proc.pid, *_children(proc.pid)]
            peaks[name] = [_vm_hwm_mb(pid) for pid in pids]
        return {k: max(v) for k, v in peaks.items()} | {
            f"{k}_total": round(sum(v), 1) for k, v in peaks.items()
        }

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds used so far by the web and the worker processes, and by the
        PostgreSQL sessions on the benchmark database (web and worker keep theirs open:
        CONN_MAX_AGE, CELERY_DB_REUSE_MAX; the server's own processes are not counted)."""
        used = {}
        for name, proc in self.groups():
            used[name] = sum(_cpu_s(pid) for pid in [proc.pid, *_children(proc.pid)])
        used["database"] = sum(_cpu_s(pid) for pid in _database_sessions())
        return used

    def stop(self) -> None:
        # The masters only: each stops its own children (the worker after its current task).
        for _, proc in self.groups():
            proc.terminate()
        for _, proc in self.groups():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _database_sessions() -> list[int]:
    import psycopg

    dsn = os.environ["BENCH_DATABASE_URL"].replace("postgis://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# --- pages, maps, routes, batch jobs ----------------------------------------------------


def measure_pages(samples: int, seed: int) -> list[dict[str, Any]]:
    """Latency and query count of the office queue, nearby suggestions and the issue page."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports.models import Issue

    rng = random.Random(seed)
    staff = Client()
    staff.force_login(get_user_model().objects.get(username="bench-admin"))
    public = Client()
    open_issues = list(
        Issue.objects.filter(address="bench")
        .exclude(status="closed")
        .values_list("pk", "category__code", "location")[:2000]
    )

    def nearby() -> str:
        _pk, code, location = rng.choice(open_issues)
        return f"/api/v1/issues/nearby/?lat={location.y:.6f}&lon={location.x:.6f}&category={code}"

    calls: dict[str, tuple[Client, Callable[[], str]]] = {
        "office queue /office/": (staff, lambda: "/office/"),
        "office queue, page 20": (staff, lambda: "/office/?page=20"),
        "office issue page": (staff, lambda: f"/office/issues/{rng.choice(open_issues)[0]}/"),
        "nearby suggestions (API)": (public, nearby),
        "public issue page": (public, lambda: f"/issues/{rng.choice(open_issues)[0]}/"),
        "public issue (API)": (public, lambda: f"/api/v1/issues/{rng.choice(open_issues)[0]}/"),
        "Open311 requests (90 days)": (public, lambda: "/open311/v2/requests.json"),
    }
    rows = []
    for name, (client, path) in calls.items():
        client.get(path())  # warm the connection and the templates
        times, queries = [], []
        for _ in range(samples):
            url = path()
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(captured))
        rows.append(
            {
                "call": name,
                "queries": int(np.median(queries)),
                "p50_ms": percentile_ms(times, 50),
                "p95_ms": percentile_ms(times, 95),
            }
        )
    return rows


def measure_open311_index(samples: int) -> dict[str, float]:
    """The Open311 default list with its date index, then with it dropped (rolled back)."""
    from django.db import connection, transaction
    from django.test import Client

    client = Client()

    def timed_list() -> float:
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            assert client.get("/open311/v2/requests.json").status_code == 200
            times.append(time.perf_counter() - began)
        return percentile_ms(times, 50)

    client.get("/open311/v2/requests.json")
    with_index = timed_list()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX issue_public_recent")
        without = timed_list()
        transaction.set_rollback(True)
    return {"with_index_p50_ms": with_index, "without_index_p50_ms": without}


def measure_maps(samples: int, seed: int, zooms: list[int]) -> list[dict[str, object]]:
    from bench.maps import measure_zoom

    rng = random.Random(seed)
    return [measure_zoom(zoom, samples, rng) for zoom in zooms]


def measure_routes(sizes: list[int], time_limit_s: float, seed: int) -> list[dict[str, Any]]:
    """Road matrix and solver time for days of `sizes` stops (bench/routing.py's instances)."""
    from bench.routing import DEMO, generate
    from geo.osm import read_extract
    from routing.graph import build_graph
    from routing.solve import solve

    extract = read_extract(DEMO)
    graph = build_graph(extract.segments)
    streets = [s.coords for s in extract.segments if s.drivable]
    rows = []
    for stops in sizes:
        crews = max(1, stops // 100)
        began = time.perf_counter()
        problem = generate(graph, streets, stops, crews, seed, time_limit_s)
        matrix_s = time.perf_counter() - began
        began = time.perf_counter()
        plan = solve(problem)
        rows.append(
            {
                "stops": stops,
                "crews": crews,
                "matrix_s": round(matrix_s, 2),
                "solve_s": round(time.perf_counter() - began, 2),
                "served": sum(len(route.visits) for route in plan.routes),
            }
        )
    return rows


def measure_batches() -> dict[str, Any]:
    from clustering.recluster import recluster
    from reports.actions import refresh_deadline_terms
    from reports.models import Issue

    open_count = Issue.objects.exclude(status="closed").count()
    began = time.perf_counter()
    merges = recluster(category=None, dry_run=True)
    recluster_s = time.perf_counter() - began
    began = time.perf_counter()
    # A day later: every open issue's deadline term moves.
    changed = refresh_deadline_terms(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    refresh_s = time.perf_counter() - began
    return {
        "open_issues": open_count,
        "recluster_dry_run_s": round(recluster_s, 1),
        "recluster_merges_found": len(merges),
        "priority_refresh_s": round(refresh_s, 1),
        "priority_refresh_changed": changed,
    }


# --- main -------------------------------------------------------------------------------


def measure_submissions(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, float]]:
    """API without and with a photo through gunicorn, the bare SQL, and the framework's floor
    (the bare SQL inside a Django view behind the same gunicorn), in one run."""
    dsn = os.environ["BENCH_DATABASE_URL"].replace("postgis://", "postgresql://")
    places = submission_places(args.submissions * 3 + args.photo_submissions, args.seed + 1)
    each = args.submissions
    services = Services(web_workers=args.web_workers, web_threads=args.web_threads)
    try:
        http_run(services.port, submit_requests(places[:20], None), 2)  # warm up the workers
        api = with_cpu(services, submit_requests(places[:each], None), args.concurrency)
        bare = bare_sql_run(places[each : 2 * each], args.concurrency, dsn)
        photo = one_mb_photo()
        with_photo = http_run(
            services.port, submit_requests(places[3 * each :], photo), args.concurrency
        )
        memory = services.peak_memory_mb()
    finally:
        services.stop()
    floor_app = Services(
        web_workers=args.web_workers,
        web_threads=args.web_threads,
        app="bench.floor_app:application",
        worker=False,
    )
    try:
        http_run(floor_app.port, floor_requests(places[:20]), 2)
        floor = with_cpu(floor_app, floor_requests(places[2 * each : 3 * each]), args.concurrency)
    finally:
        floor_app.stop()
    return {
        "api": api,
        "bare_sql": bare,
        "framework_floor": floor,
        "api_with_1mb_photo": with_photo | {"photo_kb": len(photo) // 1024},
        "api_over_bare_ratio": round(bare["per_s"] / max(api["per_s"], 0.1), 2),
        "floor_over_bare_ratio": round(bare["per_s"] / max(floor["per_s"], 0.1), 2),
    }, memory


def with_cpu(
    services: "Services", requests: list[tuple[str, str, bytes, str]], clients: int
) -> dict[str, Any]:
    """http_run, plus where the 2 cores went per request (PostgreSQL: all of its sessions)."""
    before = services.cpu_s() | {"client": time.process_time()}
    result = http_run(services.port, requests, clients)
    after = services.cpu_s() | {"client": time.process_time()}
    result["cpu_ms_per_request"] = {
        k: round((after[k] - before[k]) * 1000 / max(1, result["requests"]), 1) for k in after
    }
    return result


def floor_requests(places: list[tuple[float, float, str]]) -> list[tuple[str, str, bytes, str]]:
    """The submissions' JSON bodies, sent to bench/floor_app.py's bare-SQL view."""
    return [
        (method, "/bench/floor/", body, ctype)
        for method, _, body, ctype in submit_requests(places, None)
    ]


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(int(meminfo[1]) / 1024 / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--historical", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--submissions", type=int, default=3000)
    parser.add_argument("--photo-submissions", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn --workers (bin/serve)")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn --threads (bin/serve)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--routes", default="50,200,500")
    parser.add_argument("--route-time-limit", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="which measurements, comma-separated: " + ",".join(PARTS),
    )
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="10k reports, a few requests")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
        args.samples, args.routes, args.route_time_limit, args.concurrency = 2, "50", 0.3, 4
    setup_django()
    built = build_city(args.historical, args.open, args.seed, args.reload)
    print(f"city: {built}", flush=True)
    parts = set(args.parts.split(","))
    submissions: dict[str, Any] = {}
    memory: dict[str, float] = {}
    if "submissions" in parts:
        submissions, memory = measure_submissions(args)
        print(f"submissions: {json.dumps(submissions)}", flush=True)
    zooms = [16] if args.smoke else [12, 14, 16, 18]
    maps = measure_maps(args.samples, args.seed, zooms) if "maps" in parts else []
    pages = measure_pages(args.samples, args.seed) if "pages" in parts else []
    open311_index = measure_open311_index(max(3, args.samples // 3)) if "pages" in parts else {}
    routes = (
        measure_routes([int(s) for s in args.routes.split(",")], args.route_time_limit, args.seed)
        if "routes" in parts
        else []
    )
    batches = measure_batches() if "batches" in parts else {}
    command = "python bench/scale.py " + " ".join(sys.argv[1:])
    result = {
        "command": command,
        "historical_reports": args.historical,
        "open_issues": args.open,
        "concurrency": args.concurrency,
        "web_threads": args.web_threads,
        "build": built,
        "submissions": submissions,
        "maps": maps,
        "pages": pages,
        "open311_index": open311_index,
        "routes": routes,
        "batches": batches,
        "peak_memory_mb": memory,
        "machine": machine(),
    }
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    print(f"saved {args.out}")
    failed = {k: v["errors"] for k, v in submissions.items() if isinstance(v, dict) and v["errors"]}
    if failed:
        sys.exit(f"requests failed: {failed} (first errors above, in the JSON)")


def print_table(r: dict[str, Any]) -> None:
    s = r["submissions"]
    print(f"$ {r['command']}")
    if not s:
        s = {
            k: {"per_s": "-", "p50_ms": "-", "p99_ms": "-", "errors": "-"} for k in SUBMISSION_ROWS
        } | {"api_over_bare_ratio": "-", "floor_over_bare_ratio": "-"}
    print(
        f"{r['historical_reports']:,} historical reports, {r['open_issues']:,} open issues; "
        f"{r['machine']['cpus']} cpus; {r['concurrency']} client threads"
    )
    print(
        "| submissions | per s | p50 ms | p99 ms | errors | CPU ms per request |\n"
        "|---|---|---|---|---|---|"
    )
    for name in SUBMISSION_ROWS:
        row = s[name]
        cpu = ", ".join(f"{k} {v}" for k, v in row.get("cpu_ms_per_request", {}).items()) or "-"
        print(
            f"| {name} | {row['per_s']} | {row['p50_ms']} | {row['p99_ms']} | {row['errors']} "
            f"| {cpu} |"
        )
    print(f"bare SQL / API throughput: {s['api_over_bare_ratio']}x")
    print(f"bare SQL / the same SQL in a Django view (the floor): {s['floor_over_bare_ratio']}x")
    print("| zoom | grid cold p95 | grid warm p50 / p95 | bare SQL p95 |\n|---|---|---|---|")
    for m in r["maps"]:
        print(
            f"| {m['zoom']} {m['scale']} | {m['grid_cold_p95_ms']} | {m['grid_warm_p50_ms']} / "
            f"{m['grid_warm_p95_ms']} | {m['grid_sql_p95_ms']} |"
        )
    print("| page | queries | p50 ms | p95 ms |\n|---|---|---|---|")
    for p in r["pages"]:
        print(f"| {p['call']} | {p['queries']} | {p['p50_ms']} | {p['p95_ms']} |")
    print(f"Open311 list date index: {r['open311_index']}")
    print("| stops | crews | matrix s | solve s |\n|---|---|---|---|")
    for row in r["routes"]:
        print(f"| {row['stops']} | {row['crews']} | {row['matrix_s']} | {row['solve_s']} |")
    print(f"batch jobs: {r['batches']}")
    print(f"peak memory (MB): {r['peak_memory_mb']}")


if __name__ == "__main__":
    main()
