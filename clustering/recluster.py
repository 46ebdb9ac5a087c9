"""Batch re-clustering of open issues (after a radius change or an import).

PostGIS finds the pairs of open issues close enough to be the same problem (a self-join on
the GiST index); the pure planner below walks the later issue of each pair in time order and
asks clustering.match whether it joins an earlier one, exactly as a new report would. Issues
an operator curated (placed_by_staff reports) and pairs an operator split (Separation) are
left alone. Planning repeats until nothing changes, so a second run finds nothing to do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import Q

from clustering.actions import merge_issues
from clustering.candidates import degrees_for, match_params, recent_descriptions, recent_phashes
from clustering.match import Candidate, Incoming, MatchParams, choose_issue
from clustering.models import Separation
from geo.units import local_xy_m
from reports.models import Category, Issue, Report

MAX_ROUNDS = 10


@dataclass(frozen=True)
class OpenIssue:
    """What the planner knows of an open issue; positions in degrees, times in seconds."""

    issue_id: int
    lat: float
    lon: float
    category: str
    group: str
    radius_m: float
    match_whole_group: bool
    first_s: float
    last_s: float
    report_count: int
    descriptions: tuple[str, ...]
    phashes: tuple[str, ...]
    curated: bool  # holds reports an operator placed


@dataclass(frozen=True)
class Merge:
    source_id: int
    target_id: int
    score: float
    distance_m: float


def plan_merges(
    issues: Iterable[OpenIssue],
    neighbours: dict[int, set[int]],
    separated: set[tuple[int, int]],
    params_for: Callable[[OpenIssue], MatchParams],
) -> list[Merge]:
    """Return the merges that make the open issues consistent with the matching rules.

    `neighbours` maps an issue to the issues near it (both directions); a later issue may
    join an earlier one. Pure: no database.
    """
    state = {issue.issue_id: issue for issue in issues}
    merges: list[Merge] = []
    for _round in range(MAX_ROUNDS):
        found = _one_round(state, neighbours, separated, params_for)
        if not found:
            break
        merges.extend(found)
    return merges


def _one_round(
    state: dict[int, OpenIssue],
    neighbours: dict[int, set[int]],
    separated: set[tuple[int, int]],
    params_for: Callable[[OpenIssue], MatchParams],
) -> list[Merge]:
    merges = []
    for later in sorted(state.values(), key=lambda i: (i.first_s, i.issue_id)):
        if later.issue_id not in state or later.curated:
            continue
        earlier = [
            state[other]
            for other in neighbours.get(later.issue_id, ())
            if other in state
            and (state[other].first_s, other) < (later.first_s, later.issue_id)
            and (min(other, later.issue_id), max(other, later.issue_id)) not in separated
            and not state[other].curated
        ]
        if not earlier:
            continue
        params = params_for(later)
        decision = choose_issue(
            Incoming(
                x_m=0.0,
                y_m=0.0,
                category=later.category,
                group=later.group,
                created_s=later.first_s,
                description=later.descriptions[0] if later.descriptions else "",
                phashes=later.phashes,
            ),
            [_as_candidate(issue, later) for issue in earlier],
            params,
        )
        if decision.issue_id is None:
            continue
        target = state[decision.issue_id]
        merges.append(
            Merge(later.issue_id, target.issue_id, decision.score, decision.evidence["distance_m"])
        )
        state[target.issue_id] = _absorb(target, later)
        del state[later.issue_id]
        for other in neighbours.get(later.issue_id, ()):
            neighbours.setdefault(target.issue_id, set()).add(other)
    return merges


def _as_candidate(issue: OpenIssue, origin: OpenIssue) -> Candidate:
    x_m, y_m = local_xy_m(issue.lat, issue.lon, origin.lat, origin.lon)
    return Candidate(
        issue_id=issue.issue_id,
        x_m=x_m,
        y_m=y_m,
        category=issue.category,
        group=issue.group,
        radius_m=issue.radius_m,
        last_report_s=issue.last_s,
        descriptions=issue.descriptions,
        phashes=issue.phashes,
        report_count=issue.report_count,
    )


def _absorb(target: OpenIssue, source: OpenIssue) -> OpenIssue:
    total = target.report_count + source.report_count
    weight = source.report_count / total
    return replace(
        target,
        lat=target.lat + (source.lat - target.lat) * weight,
        lon=target.lon + (source.lon - target.lon) * weight,
        first_s=min(target.first_s, source.first_s),
        last_s=max(target.last_s, source.last_s),
        report_count=total,
        descriptions=target.descriptions + source.descriptions,
        phashes=target.phashes + source.phashes,
    )


# Pairs of open issues within reach of each other: a spatial self-join on the GiST index
# (issue_open_location_gist) that the ORM cannot express; the && box uses the index, the
# geography test is exact in metres. The box is each issue's own category's reach: one box of
# the widest category's (5 km for online services) made the join quadratic at 50k open issues
# (over 7 minutes in bench/scale.py).
_PAIRS_SQL = """
SELECT b.id, a.id
FROM reports_issue b
JOIN reports_category cb ON cb.id = b.category_id
JOIN reports_issue a
  ON NOT (a.status = 'closed')
 AND a.id <> b.id
 AND a.location && ST_Expand(b.location, cb.duplicate_radius_m * %(reach_factor)s * %(deg_per_m)s)
 AND ST_DWithin(a.location::geography, b.location::geography,
                cb.duplicate_radius_m * %(reach_factor)s)
JOIN reports_category ca ON ca.id = a.category_id
WHERE NOT (b.status = 'closed')
  AND (a.category_id = b.category_id OR (cb.match_whole_group AND ca.group_id = cb.group_id))
  AND (%(category_id)s::bigint IS NULL OR b.category_id = %(category_id)s::bigint)
"""


def find_neighbours(category: Category | None, reach_factor: float) -> dict[int, set[int]]:
    """Map each open issue to the open issues within its category's reach (both ways)."""
    # Degrees per metre at the open issue farthest from the equator: a box that is never short.
    deg_per_m = max(degrees_for(_max_abs_lat(), 1.0))
    neighbours: dict[int, set[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            _PAIRS_SQL,
            {
                "deg_per_m": deg_per_m,
                "reach_factor": reach_factor,
                "category_id": category.pk if category else None,
            },
        )
        for later, earlier in cursor.fetchall():
            neighbours.setdefault(later, set()).add(earlier)
            neighbours.setdefault(earlier, set()).add(later)
    return neighbours


def _max_abs_lat() -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(abs(ST_Y(location))), 0) FROM reports_issue "
            "WHERE NOT (status = 'closed')"
        )
        (lat,) = cursor.fetchone() or (0.0,)
    return min(float(lat), 85.0)


def load_open_issues(ids: Iterable[int]) -> list[OpenIssue]:
    """Read what the planner needs of these open issues: four queries."""
    ids = list(ids)
    rows = Issue.objects.filter(pk__any=ids).select_related("category__group")
    curated = set(
        Report.objects.filter(issue_id__any=ids, placed_by_staff=True).values_list(
            "issue_id", flat=True
        )
    )
    defaults = match_params(False)
    descriptions = recent_descriptions(ids, defaults.candidate_descriptions)
    phashes = recent_phashes(ids, defaults.candidate_phashes)
    return [
        OpenIssue(
            issue_id=issue.pk,
            lat=issue.location.y,
            lon=issue.location.x,
            category=issue.category.code,
            group=issue.category.group.code,
            radius_m=float(issue.category.duplicate_radius_m),
            match_whole_group=issue.category.match_whole_group,
            first_s=issue.first_reported_at.timestamp(),
            last_s=issue.last_reported_at.timestamp(),
            report_count=issue.report_count,
            descriptions=tuple(descriptions.get(issue.pk, ())),
            phashes=tuple(phashes.get(issue.pk, ())),
            curated=issue.pk in curated,
        )
        for issue in rows
    ]


def separated_pairs(ids: Iterable[int]) -> set[tuple[int, int]]:
    ids = list(ids)
    rows = Separation.objects.filter(Q(first__any=ids) | Q(second__any=ids))
    return {(s.first_id, s.second_id) for s in rows}


def recluster(*, category: Category | None, dry_run: bool) -> list[Merge]:
    """Plan (and unless dry_run, apply) the merges that re-clustering finds."""
    neighbours = find_neighbours(category, match_params(False).reach_m(1.0, with_photo=True))
    issues = load_open_issues(neighbours)
    merges = plan_merges(
        issues,
        neighbours,
        separated_pairs(neighbours),
        lambda issue: match_params(issue.match_whole_group),
    )
    if not dry_run:
        merged = {m.source_id for m in merges} | {m.target_id for m in merges}
        by_id = {issue.pk: issue for issue in Issue.objects.filter(pk__any=merged)}
        for merge in merges:
            merge_issues(by_id[merge.source_id], by_id[merge.target_id], actor=None, automatic=True)
    return merges
