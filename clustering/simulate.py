"""Replay a stream of reports in memory: our matcher, two baselines, and the pair scores.

Pure: numpy arrays and plain Python in, labels out, no database. The simulation does what the
submission transaction does, in time order: find the open issues near the report (a grid over
issue centres stands for the GiST KNN), call clustering.match.choose_issue, then move the
joined issue's centre. Positions are metres on a local plane, times seconds.
"""

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from clustering.match import (
    SECONDS_PER_DAY,
    Candidate,
    Incoming,
    MatchParams,
    centre_after_join,
    choose_issue,
    informative_phash,
)

Labels = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# Side of a grid cell over issue centres, metres: about the common duplicate radius, so a
# query usually reads 3 x 3 cells.
CELL_M = 50.0


@dataclass(frozen=True)
class ReportStream:
    """Reports sorted by creation time, as parallel columns."""

    x_m: FloatArray
    y_m: FloatArray
    created_s: FloatArray  # seconds since the epoch, non-decreasing
    category: Sequence[str]
    group: Sequence[str]
    radius_m: FloatArray  # the duplicate radius of each report's category
    description: Sequence[str]
    phashes: Sequence[tuple[str, ...]]
    # When staff close the issue this report would open (the problem was fixed), seconds;
    # +inf when nobody closes it. Only read by simulations run with closures=True.
    closed_s: FloatArray
    # The accuracy the phone reported with a GPS fix (Geolocation coords.accuracy: the radius
    # of ~68% confidence), metres; NaN for a pin placed on the map. None: NaN for every report.
    accuracy_m: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.x_m)

    def accuracies(self) -> list[float | None]:
        """Return each report's reported accuracy in metres, None where there is none."""
        if self.accuracy_m is None:
            return [None] * len(self)
        return [None if math.isnan(a) else a for a in self.accuracy_m.tolist()]


class _Issue:
    """The matcher's view of one open issue, updated as reports join."""

    __slots__ = (
        "category",
        "cell",
        "closed_s",
        "descriptions",
        "group",
        "issue_id",
        "last_s",
        "n",
        "phashes",
        "radius_m",
        "x_m",
        "y_m",
    )

    def __init__(self, issue_id: int, index: int, stream: ReportStream, params: MatchParams):
        self.issue_id = issue_id
        self.x_m = float(stream.x_m[index])
        self.y_m = float(stream.y_m[index])
        self.n = 1
        self.category = stream.category[index]
        self.group = stream.group[index]
        self.radius_m = float(stream.radius_m[index])
        self.last_s = float(stream.created_s[index])
        self.closed_s = float(stream.closed_s[index])
        # As the database layer does: the latest non-empty descriptions and photo hashes.
        self.descriptions: deque[str] = deque(maxlen=params.candidate_descriptions)
        self.phashes: deque[str] = deque(maxlen=params.candidate_phashes)
        self.cell: tuple[str, int, int] = ("", 0, 0)
        self.add_texts(stream.description[index], stream.phashes[index])

    def add_texts(self, description: str, phashes: tuple[str, ...]) -> None:
        if description.strip():
            self.descriptions.append(description)
        self.phashes.extend(phashes)

    def candidate(self) -> Candidate:
        return Candidate(
            issue_id=self.issue_id,
            x_m=self.x_m,
            y_m=self.y_m,
            category=self.category,
            group=self.group,
            radius_m=self.radius_m,
            last_report_s=self.last_s,
            descriptions=tuple(self.descriptions),
            phashes=tuple(self.phashes),
            report_count=self.n,
        )


def simulate_matching(
    stream: ReportStream,
    params: MatchParams,
    *,
    closures: bool = True,
    timings_s: FloatArray | None = None,
) -> Labels:
    """Cluster the stream report by report with choose_issue; return an issue label per report.

    With closures, an issue stops taking reports when staff close it (stream.closed_s of the
    report that opened it); without, only the recency window ends it. Each report's reported
    GPS accuracy (stream.accuracy_m) goes to the matcher; to ignore it, pass a stream whose
    accuracy_m is None. If timings_s is given (one float per report) it receives the seconds
    each report took: search, decision, update.
    """
    n_reports = len(stream)
    labels = np.empty(n_reports, dtype=np.int64)
    grid: dict[tuple[str, int, int], set[int]] = {}
    issues: list[_Issue] = []
    window_s = params.window_days * SECONDS_PER_DAY
    reach_radius = _reach_radius_by_key(stream, params)
    xs, ys, ts = stream.x_m.tolist(), stream.y_m.tolist(), stream.created_s.tolist()
    accuracies = stream.accuracies()
    clock = time.perf_counter

    for i in range(n_reports):
        started = clock()
        x, y, t, accuracy_m = xs[i], ys[i], ts[i], accuracies[i]
        key = stream.group[i] if params.same_group else stream.category[i]
        phashes = stream.phashes[i]
        with_photo = any(informative_phash(h) for h in phashes)
        reach_m = params.reach_m(reach_radius[key], with_photo, accuracy_m=accuracy_m)
        candidates = []
        for cell in _cells_around(key, x, y, reach_m):
            members = grid.get(cell)
            if not members:
                continue
            for issue_id in list(members):
                issue = issues[issue_id]
                if t - issue.last_s > window_s or (closures and t >= issue.closed_s):
                    members.discard(issue_id)  # time only moves on: it never comes back
                    continue
                if abs(issue.x_m - x) <= reach_m and abs(issue.y_m - y) <= reach_m:
                    candidates.append(issue.candidate())
        incoming = Incoming(
            x_m=x,
            y_m=y,
            category=stream.category[i],
            group=stream.group[i],
            created_s=t,
            description=stream.description[i],
            phashes=phashes,
            accuracy_m=accuracy_m,
        )
        decision = choose_issue(incoming, candidates, params) if candidates else None
        if decision is None or decision.issue_id is None:
            issue = _Issue(len(issues), i, stream, params)
            issues.append(issue)
        else:
            issue = issues[decision.issue_id]
            issue.x_m, issue.y_m = centre_after_join(issue.x_m, issue.y_m, issue.n, x, y)
            issue.n += 1
            issue.last_s = max(issue.last_s, t)
            issue.add_texts(stream.description[i], phashes)
            grid[issue.cell].discard(issue.issue_id)
        issue.cell = (key, math.floor(issue.x_m / CELL_M), math.floor(issue.y_m / CELL_M))
        grid.setdefault(issue.cell, set()).add(issue.issue_id)
        labels[i] = issue.issue_id
        if timings_s is not None:
            timings_s[i] = clock() - started
    return labels


def _reach_radius_by_key(stream: ReportStream, params: MatchParams) -> dict[str, float]:
    """Return the largest candidate radius per grid key (category, or group with same_group)."""
    reach: dict[str, float] = {}
    keys = stream.group if params.same_group else stream.category
    for key, radius in zip(keys, stream.radius_m.tolist(), strict=True):
        reach[key] = max(reach.get(key, 0.0), radius)
    return reach


def _cells_around(key: str, x: float, y: float, reach_m: float) -> list[tuple[str, int, int]]:
    x0, x1 = math.floor((x - reach_m) / CELL_M), math.floor((x + reach_m) / CELL_M)
    y0, y1 = math.floor((y - reach_m) / CELL_M), math.floor((y + reach_m) / CELL_M)
    return [(key, cx, cy) for cx in range(x0, x1 + 1) for cy in range(y0, y1 + 1)]


def fixmystreet_labels(
    stream: ReportStream,
    *,
    radius_m: float = 250.0,
    window_days: float = 60.0,
    closures: bool = True,
    timings_s: FloatArray | None = None,
) -> Labels:
    """Cluster with FixMyStreet's rule: join the nearest earlier open report's cluster.

    "Open": same category, within radius_m, created at most window_days before, and (with
    closures) its cluster not closed by staff. No score, no centre: a report links to a report,
    so clusters can chain. timings_s, if given, receives each report's seconds.
    """
    n_reports = len(stream)
    labels = np.empty(n_reports, dtype=np.int64)
    cluster_closed_s: list[float] = []
    # Per (category, cell): report indices in time order, and where the open ones start.
    cells: dict[tuple[str, int, int], list[int]] = {}
    first_open: dict[tuple[str, int, int], int] = {}
    window_s = window_days * SECONDS_PER_DAY
    limit_sq = radius_m * radius_m
    xs, ys, ts = stream.x_m.tolist(), stream.y_m.tolist(), stream.created_s.tolist()
    clock = time.perf_counter

    for i in range(n_reports):
        started = clock()
        x, y, t, category = xs[i], ys[i], ts[i], stream.category[i]
        cx, cy = math.floor(x / radius_m), math.floor(y / radius_m)
        nearest, nearest_sq = -1, limit_sq
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                cell = (category, gx, gy)
                members = cells.get(cell)
                if not members:
                    continue
                start = first_open[cell]
                while start < len(members) and t - ts[members[start]] > window_s:
                    start += 1
                first_open[cell] = start
                for j in members[start:]:
                    d_sq = (xs[j] - x) ** 2 + (ys[j] - y) ** 2
                    if d_sq <= nearest_sq and not (closures and t >= cluster_closed_s[labels[j]]):
                        nearest, nearest_sq = j, d_sq
        if nearest < 0:
            labels[i] = len(cluster_closed_s)
            cluster_closed_s.append(float(stream.closed_s[i]))
        else:
            labels[i] = labels[nearest]
        cell = (category, cx, cy)
        if cell not in cells:
            cells[cell], first_open[cell] = [], 0
        cells[cell].append(i)
        if timings_s is not None:
            timings_s[i] = clock() - started
    return labels


def dbscan_labels(
    x_m: FloatArray, y_m: FloatArray, category: Sequence[str], *, eps_m: float = 25.0
) -> Labels:
    """Cluster with DBSCAN per category, eps_m metres, min_samples=1; return a label per point.

    With min_samples=1 every point is a core point, so clusters are the connected components
    of "within eps_m": single linkage, which chains along a street. min_samples=2 gives the
    same partition once its noise points are counted as clusters of one. No time: two
    potholes at the same spot a year apart are one cluster.
    """
    labels = np.empty(len(x_m), dtype=np.int64)
    codes = _codes(category)
    offset = 0
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        points = np.column_stack([x_m[members], y_m[members]])
        pairs = cKDTree(points).query_pairs(eps_m, output_type="ndarray")
        size = len(members)
        graph = coo_matrix(
            (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(size, size)
        )
        count, component = connected_components(graph, directed=False)
        labels[members] = component + offset
        offset += count
    return labels


def _codes(values: Sequence[str]) -> NDArray[np.int64]:
    _, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64)


def pair_scores(
    true_labels: NDArray[np.integer], pred_labels: NDArray[np.integer]
) -> tuple[float, float, float]:
    """Return pairwise (precision, recall, F1) of a clustering against the ground truth.

    A pair is two reports in the same cluster. Counted from the contingency table (reports
    per true x predicted cluster), never by listing pairs: a sort, not O(n^2). With no pair on
    a side, its ratio is 1.
    """
    true_labels = np.asarray(true_labels)
    pred_labels = np.asarray(pred_labels)
    if true_labels.shape != pred_labels.shape:
        raise ValueError("both labelings must have one label per report")
    _, true_codes = np.unique(true_labels, return_inverse=True)
    _, pred_codes = np.unique(pred_labels, return_inverse=True)
    joint = true_codes.astype(np.int64) * (int(pred_codes.max(initial=0)) + 1) + pred_codes
    both = _pairs(np.unique(joint, return_counts=True)[1])
    true_pairs = _pairs(np.bincount(true_codes))
    pred_pairs = _pairs(np.bincount(pred_codes))
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _pairs(counts: NDArray[np.integer]) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())
