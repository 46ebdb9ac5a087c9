"""The priority of an issue: one documented, pure function.

priority = severity + urgency + emergency + crowd + deadline, in points:

- severity: the category's base severity (1-5) x 10                      -> 10..50
- urgency: the mean urgency the citizens gave (1-5), (mean - 1) x 5     ->  0..20
- emergency: +40 when anyone said someone is hurt or in immediate danger
- crowd: 10 x log2(distinct reporters + supporters), at most 30         ->  0..30
  (1 person 0, 2 people 10, 4 people 20, 8 or more 30)
- deadline: nothing before half of the SLA has passed, then up to 20 at the due date, then up
  to 20 more when the issue is as late again as its whole SLA           ->  0..40

The back-office and citizen-care work add reporter reliability and the technicians' qualification
as further terms of the same function.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PriorityInputs:
    base_severity: int
    urgencies: Sequence[int]
    emergency: bool
    people: int
    sla_elapsed_fraction: float | None  # elapsed time / SLA time; None when there is no SLA


@dataclass(frozen=True)
class Term:
    factor: str
    points: float
    value: float


def compute_priority(inputs: PriorityInputs) -> tuple[float, list[Term]]:
    """Return the priority in points and the terms that add up to it."""
    mean_urgency = sum(inputs.urgencies) / len(inputs.urgencies) if inputs.urgencies else 3.0
    people = max(inputs.people, 1)
    elapsed = inputs.sla_elapsed_fraction
    terms = [
        Term("severity", 10.0 * inputs.base_severity, inputs.base_severity),
        Term("urgency", 5.0 * (mean_urgency - 1.0), round(mean_urgency, 2)),
        Term("emergency", 40.0 if inputs.emergency else 0.0, float(inputs.emergency)),
        Term("crowd", min(30.0, 10.0 * math.log2(people)), people),
        Term("deadline", _deadline_points(elapsed), round(elapsed, 3) if elapsed else 0.0),
    ]
    return round(sum(t.points for t in terms), 2), terms


def _deadline_points(elapsed: float | None) -> float:
    if elapsed is None or elapsed <= 0.5:
        return 0.0
    if elapsed <= 1.0:
        return 40.0 * (elapsed - 0.5)
    return 20.0 + min(20.0, 20.0 * (elapsed - 1.0))
