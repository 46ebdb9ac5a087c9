"""Create the configured database and its spatial extensions when they are missing."""

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

EXTENSIONS = ("postgis", "pgrouting")


class Command(BaseCommand):
    help = "Create the database named in DATABASE_URL and its extensions if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 10,
        }
        try:
            self._create_database(db["NAME"], params)
            self._create_extensions(db["NAME"], params)
        except psycopg.Error as exc:
            raise CommandError(f"Cannot prepare database {db['NAME']!r}: {exc}") from exc

    def _create_database(self, name: str, params: dict[str, Any]) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                self.stdout.write(f"Created database {name}")

    def _create_extensions(self, name: str, params: dict[str, Any]) -> None:
        with psycopg.connect(dbname=name, autocommit=True, **params) as conn:
            available = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
                    [list(EXTENSIONS)],
                )
            }
            if "postgis" not in available:
                raise CommandError(
                    "PostGIS is not installed on the database server "
                    "(Debian: apt-get install postgresql-15-postgis-3)."
                )
            for extension in EXTENSIONS:
                if extension in available:
                    conn.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                            sql.Identifier(extension)
                        )
                    )
                else:
                    self.stderr.write(f"{extension} is not available: routing uses its fallback")
