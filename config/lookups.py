"""`field__any=[...]`: a list of ids bound as one array parameter (`field = ANY(%s)`).

Django's `__in` binds one parameter per value, and with server-side binding (psycopg's
prepared statements, DB_PREPARE_THRESHOLD above 0, the default) PostgreSQL takes at most 65,535:
re-clustering a city with tens of thousands of open issues passes lists of their ids
(clustering/recluster.py). PostgreSQL plans `= ANY(array)` as it plans `IN (...)`.
"""

from typing import Any

from django.db import models
from django.db.models import Lookup


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"
    prepare_rhs = False

    # django-stubs types a parameter as str or int; this one is a list (psycopg: an array).
    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        # As __in: model instances stand for their ids, None matches nothing.
        ids = (getattr(item, "pk", item) for item in value)
        return "%s", ([int(item) for item in ids if item is not None],)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def register() -> None:
    models.IntegerField.register_lookup(AnyOf)  # and so AutoField and BigAutoField
    models.ForeignKey.register_lookup(AnyOf)  # Segnala's keys are all integers
