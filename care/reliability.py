"""A reporter's reliability from staff's verdicts on their reports: pure functions, no database.

score = (PRIOR_REPORTS x NEUTRAL + sum of the verdicts' values) / (PRIOR_REPORTS + verdicts)

A verdict is worth 1 (accurate), 0.6 (wrong category: an honest mistake), 0.3 (exaggerated)
or 0 (fake). The prior counts as two reports at the neutral 0.7, so one verdict moves a new
reporter's score only part of the way: one fake report gives 0.47, three give 0.28, five
accurate ones give 0.91. The priority (reports.priority) weighs a report's urgency and
emergency flag by score / NEUTRAL: 1 for a reporter nobody has qualified.
"""

from collections.abc import Iterable

VERDICT_VALUES = {
    "accurate": 1.0,
    "wrong_category": 0.6,
    "exaggerated": 0.3,
    "fake": 0.0,
}
NEUTRAL = 0.7
PRIOR_REPORTS = 2


def score(verdicts: Iterable[str]) -> float | None:
    """Return the reliability (0-1) of a reporter whose reports got `verdicts`; None for none."""
    values = [VERDICT_VALUES[verdict] for verdict in verdicts]
    if not values:
        return None
    return round((PRIOR_REPORTS * NEUTRAL + sum(values)) / (PRIOR_REPORTS + len(values)), 4)


def weight(reliability: float | None) -> float:
    """Return the priority weight of a reporter's urgency: 1 when unknown, 0 to ~1.43."""
    if reliability is None:
        return 1.0
    return reliability / NEUTRAL
