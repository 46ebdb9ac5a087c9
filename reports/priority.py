"""The priority of an issue: one documented, pure function.

priority = severity + urgency + emergency + crowd + deadline, in points:

- severity: the category's base severity (1-5) x 10                      -> 10..50
- urgency: the mean urgency the citizens gave (1-5), (mean - 1) x 5     ->  0..20
  Each report's urgency is first weighted by its reporter's reliability (care.reliability):
  u' = 3 + (u - 3) x weight, within 1..5. A reporter nobody has qualified weighs 1 (the number
  as given); one whose reports were found fake or exaggerated weighs less (towards the neutral
  3), one whose reports were accurate up to 1.43.
- emergency: +40 x weight (at most 1) when anyone said someone is hurt or in immediate danger,
  with the weight of the most reliable reporter who said so: a known hoaxer's alarm counts less
- crowd: 10 x log2(distinct reporters + supporters), at most 30         ->  0..30
  (1 person 0, 2 people 10, 4 people 20, 8 or more 30)
- deadline: nothing before half of the SLA has passed, then up to 20 at the due date, then up
  to 20 more when the issue is as late again as its whole SLA           ->  0..40

The technicians' qualification enters through the reporter's reliability, which it sets.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PriorityInputs:
    base_severity: int
    urgencies: Sequence[int]
    emergency: bool
    people: int
    sla_elapsed_fraction: float | None  # elapsed time / SLA time; None when there is no SLA
    # One per urgency: the reporter's reliability weight (1.0 neutral); None: all neutral.
    urgency_weights: Sequence[float] | None = None
    emergency_weight: float = 1.0


@dataclass(frozen=True)
class Term:
    factor: str
    points: float
    value: float


def compute_priority(inputs: PriorityInputs) -> tuple[float, list[Term]]:
    """Return the priority in points and the terms that add up to it."""
    weights = inputs.urgency_weights or [1.0] * len(inputs.urgencies)
    weighted = [
        min(5.0, max(1.0, 3.0 + (u - 3.0) * w))
        for u, w in zip(inputs.urgencies, weights, strict=True)
    ]
    mean_urgency = sum(weighted) / len(weighted) if weighted else 3.0
    emergency_points = (
        40.0 * min(1.0, max(0.0, inputs.emergency_weight)) if inputs.emergency else 0.0
    )
    people = max(inputs.people, 1)
    elapsed = inputs.sla_elapsed_fraction
    terms = [
        Term("severity", 10.0 * inputs.base_severity, inputs.base_severity),
        Term("urgency", 5.0 * (mean_urgency - 1.0), round(mean_urgency, 2)),
        Term("emergency", emergency_points, float(inputs.emergency)),
        Term("crowd", min(30.0, 10.0 * math.log2(people)), people),
        Term("deadline", _deadline_points(elapsed), _deadline_value(elapsed)),
    ]
    return round(sum(t.points for t in terms), 2), terms


def sla_elapsed_fraction(
    first_reported_at: dt.datetime, due_at: dt.datetime | None, now: dt.datetime
) -> float | None:
    """Return the share of the SLA spent at `now` (1.0 = due); None without a usable SLA."""
    if due_at is None:
        return None
    sla_s = (due_at - first_reported_at).total_seconds()
    if sla_s <= 0:
        return None
    return (now - first_reported_at).total_seconds() / sla_s


def move_deadline_term(
    priority: float, explained: Any, elapsed: float | None
) -> tuple[float, dict[str, Any]] | None:
    """Return the priority and explanation with only the deadline term moved to `elapsed`.

    The other terms depend on the issue's reports and supporters, which refresh_issue
    recomputes whenever they change; only the deadline term grows with time. None when
    `explained` carries no deadline term (never computed): the caller recomputes it whole.
    """
    terms = explained.get("terms") if isinstance(explained, dict) else None
    old = next((t for t in terms or [] if t.get("factor") == "deadline"), None)
    if old is None:
        return None
    points = _deadline_points(elapsed)
    new = {"factor": "deadline", "points": round(points, 2), "value": _deadline_value(elapsed)}
    moved = [new if t is old else t for t in terms or []]
    return round(priority - float(old["points"]) + points, 2), {**explained, "terms": moved}


def _deadline_value(elapsed: float | None) -> float:
    return round(elapsed, 3) if elapsed else 0.0


def _deadline_points(elapsed: float | None) -> float:
    if elapsed is None or elapsed <= 0.5:
        return 0.0
    if elapsed <= 1.0:
        return 40.0 * (elapsed - 0.5)
    return 20.0 + min(20.0, 20.0 * (elapsed - 1.0))
