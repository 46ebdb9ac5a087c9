"""Decide which open issue a new report joins, if any: a pure, explainable scoring model.

Points in, decision out: no Django models and no database. The database layer (and the
in-memory simulation in clustering.simulate) finds the open issues near a new report, builds a
Candidate for each, and calls choose_issue.

Units: positions in metres on a local plane (geo.units.local_xy_m around a fixed city origin),
times in seconds since the epoch, windows in days, photo distances in bits of a 64-bit pHash.

The model, in one paragraph. A candidate is admissible only if it is the same category (or the
same group, where configured), its latest report is within the recency window, and its centre
is within the category's radius of the new report (or within photo_radius_factor times the
radius when one of its photos is a near-identical copy of the new report's: the same photo
re-sent from somewhere else). Each admissible candidate gets a score, a sum of evidence in
log-odds-like units: distance to the centre (linear in distance/radius), age of its latest
report (logarithmic: the first days matter most), description similarity (above or below what
different problems of the category typically share), photo (a near-identical hash is strong
evidence for; different hashes only weak evidence against, since two photos of the same
pothole differ), and the issue's size (a problem many people already reported is the one more
people will report). The new report joins the best-scoring candidate if its score reaches the
threshold, else it opens a new issue.

A GPS fix's reported accuracy (Incoming.accuracy_m: the browser's coords.accuracy, the radius
of ~68% confidence) is evidence about the position itself. The radii already allow for an
ordinary fix (a0 = accuracy_baseline_m); a worse one widens the radius to an effective radius

    r_eff = sqrt(r^2 + k^2 (a^2 - a0^2)),   a = min(accuracy_m, max_accuracy_m), if a > a0

(independent errors add in quadrature; k turns the claimed 68% radius into the margin wanted)
for both the hard rule and the distance term, which becomes linear in distance/r_eff. The
same blur makes the position weaker evidence for any issue: a density spread over r_eff^2
instead of r^2 is lower by 2 ln(r_eff/r) in log-odds, hence the accuracy term
-accuracy_spread_weight * ln(r_eff/r). Without it a poor fix would score as if it were on the
spot of every issue near it. So a poor fix lets a report join farther away, but near an issue
it needs a little more evidence, not less. A pin placed on the map (None) scores as before.

Those four numbers, measured on seed 1 (bench/clustering.py): k = 2.5 is more than an honest
phone needs (k = 2 holds 99% of a truthful fix's error) because phones under-claim multipath
fixes, and F1 rose with k up to 2.5-3, then fell. a0 = 5 m, a typical good fix's claim. The
cap, 20 m: a claim of 20 m or 60 m scored the same (F1 within 0.001 for caps of 20 to 60 m:
an honest bad fix claims 18-25 m, more is rare), so the smallest cap, which keeps the reach
and the database's search square smallest: a phone claiming 500 m (a coarse network fix)
counts as 20 m, so a pothole reaches 54 m, not 500. The spread weight, 0.8, is set by the
product rule below, not by F1 (which would take 0): it is the smallest round weight with
which no accuracy, from 3 m to the cap, lets the two potholes 15 m apart join (the most a
blurred fix can gain there is at r_eff = 2.5 x 15 m, 0.06 short of the threshold), so with a
40 m fix the different words and photos decide, as they do with a 5 m fix.

The forms and weights were measured on a synthetic city (bench/synthetic.py: logistic fits of
"same problem?" on the candidates' evidence, then a search for the best pairwise F1 on seed 1,
checked on seed 2 by bench/clustering.py), under one product rule: a fresh one-report issue
15 m away with no word and no photo in common does not take the report (two potholes).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from clustering.text import TextMethod, best_similarity

SECONDS_PER_DAY = 86_400.0
PHASH_BITS = 64
# A real pHash sets about half of its bits (it thresholds 64 DCT terms at their median); far
# fewer or more means a flat picture (a black night shot, a blank wall) that matches anything.
INFORMATIVE_PHASH_BITS = (16, 48)


@dataclass(frozen=True)
class Incoming:
    """The report being submitted."""

    x_m: float  # metres, in the same local frame as the candidates (geo.units.local_xy_m)
    y_m: float
    category: str
    group: str
    created_s: float  # seconds since the epoch
    description: str
    phashes: tuple[str, ...]  # 16-hex-digit imagehash.phash of each photo; may be empty
    # The accuracy the phone reported with a GPS fix (Geolocation coords.accuracy: radius of
    # ~68% confidence), metres; None for a pin placed on the map or when unknown.
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Candidate:
    """An open issue near the incoming report, as the caller found it."""

    issue_id: int
    x_m: float  # the issue's centre (mean of its reports' positions), metres
    y_m: float
    category: str
    group: str
    radius_m: float  # the duplicate radius of the issue's category
    last_report_s: float  # time of its latest report, seconds since the epoch
    descriptions: tuple[str, ...]  # its latest non-empty descriptions (see MatchParams)
    phashes: tuple[str, ...]  # pHashes of its latest photos (see MatchParams)
    report_count: int


@dataclass(frozen=True)
class MatchParams:
    """Rules and weights of the model; the defaults come from bench/clustering.py.

    Scores add up "evidence" terms; 0 is the score of a candidate whose centre is exactly at
    the new report, reported just now, with no text or photo evidence and one report. For a
    sense of scale: such a one-report issue, with nothing to compare, takes a report anywhere
    within its radius on its first day, within half of it after a week, and none after about
    three and a half weeks; each doubling of its reports adds 0.35.
    """

    # Hard rules.
    window_days: float = 60.0  # an issue whose latest report is older takes no new report
    same_group: bool = False  # also match other categories of the same group
    photo_radius_factor: float = 2.0  # a re-sent photo may be this many radii away
    photo_same_max_bits: int = 6  # at most this Hamming distance: the same photo re-sent
    # Decision: join the best candidate when its score is at least the threshold.
    threshold: float = -2.75
    # Evidence weights.
    distance_weight: float = 2.0  # score lost at the radius; linear in distance/radius
    age_weight: float = 0.85  # per unit of ln(1 + days since the latest report)
    text_weight: float = 3.0  # per unit of similarity above text_baseline
    text_baseline: float = 0.35  # below it, the words are evidence against
    text_method: TextMethod = "jaccard"
    photo_same_bonus: float = 4.0  # a near-identical photo
    photo_differ_penalty: float = 0.6  # informative photos on both sides, none alike
    size_weight: float = 0.5  # per unit of ln(report_count)
    # Reported GPS accuracy (see the module docstring): r_eff = sqrt(r^2 + k^2 (a^2 - a0^2)).
    accuracy_factor: float = 2.5  # k
    accuracy_baseline_m: float = 5.0  # a0: what the radii already allow for
    max_accuracy_m: float = 20.0  # a claims no worse than this (a coarse fix is not a reach)
    accuracy_spread_weight: float = 0.8  # per unit of ln(r_eff / r): the blur's cost
    # What the caller puts in a Candidate (the simulation does the same).
    candidate_descriptions: int = 5  # the issue's latest non-empty descriptions
    candidate_phashes: int = 10  # the pHashes of the issue's latest photos

    def reach_m(
        self, radius_m: float, with_photo: bool, *, accuracy_m: float | None = None
    ) -> float:
        """Return how far from a report a candidate's centre may lie, in metres.

        radius_m is the category's duplicate radius; with_photo: the report has a photo that
        could be a re-sent one; accuracy_m: the reported GPS accuracy, metres, if any.
        """
        reach = self.effective_radius_m(radius_m, accuracy_m)
        return reach * (self.photo_radius_factor if with_photo else 1.0)

    def effective_radius_m(self, radius_m: float, accuracy_m: float | None) -> float:
        """Return the radius widened for a fix reported worse than the baseline, metres."""
        accuracy = self.usable_accuracy_m(accuracy_m)
        if accuracy is None or accuracy <= self.accuracy_baseline_m:
            return radius_m
        excess_sq = accuracy * accuracy - self.accuracy_baseline_m * self.accuracy_baseline_m
        return math.sqrt(radius_m * radius_m + self.accuracy_factor**2 * excess_sq)

    def usable_accuracy_m(self, accuracy_m: float | None) -> float | None:
        """Return the accuracy the model uses: capped at max_accuracy_m; None if unusable.

        None, NaN and negative values carry no information (None); +inf means the cap.
        """
        if accuracy_m is None or math.isnan(accuracy_m) or accuracy_m < 0:
            return None
        return min(accuracy_m, self.max_accuracy_m)


@dataclass(frozen=True)
class Decision:
    """Where the report goes, and why (shown in the back office)."""

    issue_id: int | None  # None: open a new issue
    score: float  # the best candidate's score (0.0 when there was no admissible candidate)
    evidence: dict[str, float]  # per factor, of the best candidate; see score_candidate


def choose_issue(
    incoming: Incoming, candidates: Sequence[Candidate], params: MatchParams
) -> Decision:
    """Return the issue the incoming report joins (the best admissible one), or None.

    Candidates may include inadmissible issues (too far, too old, another category): they are
    skipped, so callers may pre-filter generously. Ties go to the nearer centre.
    """
    best: tuple[float, float, Candidate, dict[str, float]] | None = None
    admissible = 0
    for candidate in candidates:
        scored = score_candidate(incoming, candidate, params)
        if scored is None:
            continue
        admissible += 1
        score, evidence = scored
        key = (score, -evidence["distance_m"])
        if best is None or key > (best[0], best[1]):
            best = (score, -evidence["distance_m"], candidate, evidence)
    if best is None:
        return Decision(issue_id=None, score=0.0, evidence={"candidates": 0.0})
    score, _, candidate, evidence = best
    evidence = {**evidence, "candidates": float(admissible), "threshold": params.threshold}
    joined = score >= params.threshold
    return Decision(issue_id=candidate.issue_id if joined else None, score=score, evidence=evidence)


def score_candidate(
    incoming: Incoming, candidate: Candidate, params: MatchParams
) -> tuple[float, dict[str, float]] | None:
    """Return the candidate's score and its evidence, or None if a hard rule excludes it.

    Evidence keys: distance_m, age_days, text_similarity and photo_bits (the raw measures,
    the last two only when both sides have something to compare), accuracy_m and
    effective_radius_m (only when the report has a usable accuracy), then the score terms
    distance, age, text, photo, reports and (with an accuracy) accuracy, which add up to score.
    """
    if not compatible(incoming, candidate, params):
        return None
    age_s = max(0.0, incoming.created_s - candidate.last_report_s)
    if age_s > params.window_days * SECONDS_PER_DAY:
        return None
    distance_m = math.hypot(incoming.x_m - candidate.x_m, incoming.y_m - candidate.y_m)
    photo_bits = closest_photo_bits(incoming.phashes, candidate.phashes)
    same_photo = photo_bits is not None and photo_bits <= params.photo_same_max_bits
    accuracy_m = params.usable_accuracy_m(incoming.accuracy_m)
    radius_m = params.effective_radius_m(candidate.radius_m, accuracy_m)
    if distance_m > params.reach_m(candidate.radius_m, same_photo, accuracy_m=accuracy_m):
        return None

    age_days = age_s / SECONDS_PER_DAY
    evidence: dict[str, float] = {"distance_m": distance_m, "age_days": age_days}
    terms = {
        "distance": -params.distance_weight * distance_m / radius_m,
        "age": -params.age_weight * math.log1p(age_days),
        "text": 0.0,
        "photo": 0.0,
        "reports": params.size_weight * math.log(max(1, candidate.report_count)),
    }
    similarity = best_similarity(incoming.description, candidate.descriptions, params.text_method)
    if similarity is not None:
        evidence["text_similarity"] = similarity
        terms["text"] = params.text_weight * (similarity - params.text_baseline)
    if photo_bits is not None:
        evidence["photo_bits"] = float(photo_bits)
        terms["photo"] = params.photo_same_bonus if same_photo else -params.photo_differ_penalty
    if accuracy_m is not None and incoming.accuracy_m is not None:
        # The reported value, uncapped: staff see what the phone said.
        evidence["accuracy_m"] = float(incoming.accuracy_m)
        evidence["effective_radius_m"] = radius_m
        spread = math.log(radius_m / candidate.radius_m)
        terms["accuracy"] = -params.accuracy_spread_weight * spread if spread else 0.0
    evidence.update(terms)
    return sum(terms.values()), evidence


def compatible(incoming: Incoming, candidate: Candidate, params: MatchParams) -> bool:
    """Tell whether the categories allow the report to join the issue."""
    if incoming.category == candidate.category:
        return True
    return params.same_group and incoming.group == candidate.group


def closest_photo_bits(ours: Sequence[str], theirs: Sequence[str]) -> int | None:
    """Return the smallest Hamming distance between informative pHashes, or None if none.

    Hashes that are not 16 hex digits, or that set too few or too many bits (flat pictures),
    are ignored.
    """
    mine = [h for h in (_phash_int(s) for s in ours) if h is not None]
    if not mine:
        return None
    best: int | None = None
    for text in theirs:
        other = _phash_int(text)
        if other is None:
            continue
        for value in mine:
            bits = (value ^ other).bit_count()
            if best is None or bits < best:
                best = bits
    return best


def informative_phash(text: str) -> bool:
    """Tell whether a pHash can be evidence: 16 hex digits and not a flat picture."""
    return _phash_int(text) is not None


@lru_cache(maxsize=262_144)
def _phash_int(text: str) -> int | None:
    if len(text) != PHASH_BITS // 4:
        return None
    try:
        value = int(text, 16)
    except ValueError:
        return None
    low, high = INFORMATIVE_PHASH_BITS
    return value if low <= value.bit_count() <= high else None


def centre_after_join(cx: float, cy: float, n: int, x: float, y: float) -> tuple[float, float]:
    """Return the centre of an issue of n reports centred at (cx, cy) after (x, y) joins.

    The running mean of all reports' positions, in metres. It cannot be dragged along a street
    report by report: each join moves it by 1/(n+1) of the way, and a report can only join
    within the radius of the current centre. (Robust variants, a Huber-capped step or a slower
    start, measured no better on bench/clustering.py's city, so the mean stays.)
    """
    weight = 1.0 / (n + 1)
    return cx + (x - cx) * weight, cy + (y - cy) * weight
