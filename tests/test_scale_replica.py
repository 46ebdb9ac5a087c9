"""The read-replica router against a real streaming replica (bin/replica-pair: a PostgreSQL 15
primary on 5433 and its replica on 5434): public reads go to the replica, writes, staff pages
and read-your-write pages to the primary, and a replica that lags or is down falls back."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
PRIMARY = "postgis://postgres@127.0.0.1:5433"
REPLICA = "postgis://postgres@127.0.0.1:5434"


@pytest.fixture
def replica_pair(db: None) -> str:
    """A database on the primary with the test schema, streamed to the replica; its name."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        pytest.skip("the replica pair needs root and Debian's pg_createcluster (bin/replica-pair)")
    subprocess.run([ROOT / "bin" / "replica-pair"], check=True, capture_output=True)
    name = f"segnala_replica_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    psql = ["psql", "-h", "127.0.0.1", "-p", "5433", "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {name}"], check=True)
    test_db = connection.settings_dict
    schema = subprocess.run(
        ["pg_dump", "-s", "-h", "127.0.0.1", "-U", "postgres", "-d", test_db["NAME"]],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run([*psql, "-q", "-d", name], input=schema, check=True, capture_output=True)
    return name


def test_public_reads_go_to_the_replica_and_fall_back_when_it_lags_or_is_down(
    replica_pair: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"{PRIMARY}/{replica_pair}",
        "REPLICA_DATABASE_URL": f"{REPLICA}/{replica_pair}",
        "REPLICA_MAX_LAG_S": "1",
        "MEDIA_ROOT": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.replica_driver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    steps = {s["step"]: s for s in json.loads(run.stdout.strip().splitlines()[-1])}

    def served_by(name: str) -> str:
        s = steps[name]
        assert (s["default"] == 0) != (s["replica"] == 0), s  # one database, not both
        return "replica" if s["replica"] else "primary"

    assert served_by("submit (write)") == "primary"
    assert steps["public issue page, replica in step"]["status"] == 200
    assert served_by("public issue page, replica in step") == "replica"
    assert served_by("public API issue") == "replica"
    assert steps["nearby suggestions"]["status"] == 200
    assert served_by("nearby suggestions") == "replica"  # the candidates and their summaries
    assert served_by("tracking page (reads its write)") == "primary"
    assert served_by("submission form (not a listed path)") == "primary"
    paused = steps["public issue page, replica paused"]
    assert not paused["replica_has_it"]  # the replica really was behind...
    assert paused["status"] == 200  # ...and the page came from the primary
    assert served_by("public issue page, replica paused") == "primary"
    assert served_by("public issue page, replica caught up") == "replica"
    assert steps["public issue page, replica down"]["status"] == 200
    assert served_by("public issue page, replica down") == "primary"
