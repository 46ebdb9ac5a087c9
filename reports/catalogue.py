"""The category catalogue as every submission reads it, kept in each process's memory.

A submission needs its category (with group, department and competent body), the category's
questions and the wards where it is offered: four queries, about 2 ms of a submission's
Python (bench/scale.py). Administrators change the catalogue a few times a year, so each
process keeps it, keyed by a catalogue version in the shared cache:

- every save or delete of a category, group, question, ward, department or body, and every
  change of a category's wards, moves the version (at once and again when the transaction
  commits, so no process keeps a catalogue read before the commit), and every process reloads
  at its next submission;
- a change made behind the ORM's back (SQL, `QuerySet.update`) is seen within MAX_AGE_S;
- while the shared cache is down, every submission reads the database, as without this module.
"""

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.db_router import primary_reads
from reports.answers import QuestionSpec
from reports.models import Category, Question

VERSION_KEY = "reports:catalogue-version"
VERSION_TTL_S = 30 * 24 * 3600
# The most a change made without the ORM's signals waits before submissions see it.
MAX_AGE_S = 60.0


@dataclass(frozen=True)
class Offer:
    """An active category as the submission path needs it (read-only: shared by threads)."""

    category: Category  # with group, department and redirect_body loaded
    questions: tuple[QuestionSpec, ...]
    area_ids: frozenset[int]  # the wards where it is offered; empty: everywhere

    def offered_in(self, area_id: int | None) -> bool:
        return not self.area_ids or area_id in self.area_ids


@dataclass(frozen=True)
class _Loaded:
    version: int
    at: float
    offers: dict[str, Offer]


_loaded: _Loaded | None = None
_lock = threading.Lock()


def offer(code: str) -> Offer | None:
    """The active category with this code, with its questions and wards; None if there is none."""
    global _loaded
    version = _current_version()
    if version is None:  # the shared cache is down: nobody could tell us about a change
        return _load(code).get(code)
    loaded = _loaded
    if _stale(loaded, version):
        with _lock:  # one thread reloads; the others then find its copy
            loaded = _loaded
            if _stale(loaded, version):
                loaded = _loaded = _Loaded(version, time.monotonic(), _load())
    assert loaded is not None
    return loaded.offers.get(code)


def _stale(loaded: _Loaded | None, version: int) -> bool:
    return loaded is None or loaded.version != version or time.monotonic() - loaded.at > MAX_AGE_S


def changed() -> None:
    """The catalogue changed: every process reloads it (now, and once the change commits)."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def forget() -> None:
    """Drop this process's copy (tests that empty the shared cache between cases)."""
    global _loaded
    _loaded = None


def watch() -> None:
    """Connect the signals that move the version (ReportsConfig.ready)."""
    from geo.models import Area, Department, ExternalBody
    from reports.models import CategoryGroup

    for model in (Category, CategoryGroup, Question, Area, Department, ExternalBody):
        uid = f"catalogue-{model.__name__}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_on_change, sender=Category.areas.through, dispatch_uid="catalogue-areas")


def _on_change(**kwargs: object) -> None:
    changed()


def question_specs(category: Category) -> tuple[QuestionSpec, ...]:
    """What validation needs of a category's questions, in the order the form shows them."""
    return tuple(
        QuestionSpec(
            code=q.code,
            kind=q.kind,
            required=q.required,
            choice_keys=tuple(c["key"] for c in q.choices),
        )
        for q in category.questions.all()
    )


def _load(code: str | None = None) -> dict[str, Offer]:
    categories = (
        Category.objects.filter(active=True, **({"code": code} if code is not None else {}))
        .select_related("group", "department", "redirect_body")
        .prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("order", "id")), "areas"
        )
    )
    # From the primary even in a public read (nearby suggestions): the catalogue feeds
    # submissions, and a lagging replica's copy of a category an admin just changed would be
    # cached under the new version.
    with primary_reads():
        return {
            c.code: Offer(
                category=c,
                questions=question_specs(c),
                area_ids=frozenset(area.pk for area in c.areas.all()),
            )
            for c in categories
        }


def _current_version() -> int | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(VERSION_KEY, version, VERSION_TTL_S):
            version = cache.get(VERSION_KEY)
    return None if version is None else int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or it expired): the next reader starts one
        cache.delete(VERSION_KEY)
