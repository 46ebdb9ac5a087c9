"""Invent the demo city's last two months of reports and what became of them.

Pure: streets, the catalogue, a clock and a seed in; plans out. The same seed always gives the
same demo. The loader files the plans through the real submission pipeline.
"""

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from geo.osm import Coord, line_length_m
from geo.units import EARTH_RADIUS_M
from reports.demo.catalog import CategorySpec, QuestionSpec
from reports.models import Channel, CloseReason, Status

HISTORY_DAYS = 60
JITTER_M = 4.0  # a phone's GPS fix is a few metres off the street's centre line
DUPLICATE_SHARE = 0.12  # reports of a problem someone already reported
EMERGENCY_CATEGORIES = ("fallen-tree", "traffic-light")
EMERGENCY_TEXTS = {
    "fallen-tree": "Albero caduto sulla carreggiata di {street}: ha colpito un'auto, "
    "c'è una persona ferita.",
    "traffic-light": "Semaforo spento all'incrocio con {street}, un pedone è stato appena "
    "sfiorato da un'auto. Serve qualcuno subito.",
}
URGENCY_WEIGHTS = {1: 10, 2: 25, 3: 35, 4: 20, 5: 10}
CHANNEL_WEIGHTS = {
    Channel.WEB: 62,
    Channel.PHONE: 14,
    Channel.EMAIL: 8,
    Channel.OPEN311: 6,
    Channel.API: 5,
    Channel.COUNTER: 5,
}
PHOTO_COUNT_WEIGHTS = {0: 30, 1: 50, 2: 20}
ENGLISH_SHARE = 0.2
CITIZENS = 80  # distinct e-mail addresses citizen1..80@example.org: some report often
NAMES = ("Giulia R.", "Marco B.", "Aino K.", "Paolo M.", "Sara T.", "Mikko L.", "Anna C.")
CLOSE_REASON_WEIGHTS = {
    CloseReason.FIXED: 60,
    CloseReason.SCHEDULED: 10,
    CloseReason.NOT_REPRODUCIBLE: 10,
    CloseReason.FORWARDED: 8,
    CloseReason.NOT_COMPETENT: 7,
    CloseReason.DUPLICATE: 5,
}
CLOSE_TEXTS = {
    CloseReason.FIXED: (
        "Intervento eseguito dalla squadra. Grazie per la segnalazione.",
        "Problema risolto durante il sopralluogo.",
    ),
    CloseReason.SCHEDULED: (
        "L'intervento è stato inserito nel programma dei lavori del prossimo mese.",
    ),
    CloseReason.NOT_REPRODUCIBLE: (
        "Al sopralluogo non abbiamo trovato il problema descritto. Se persiste, riapri la "
        "segnalazione con una foto.",
    ),
    CloseReason.FORWARDED: ("Segnalazione inoltrata all'ente competente, che la gestirà.",),
    CloseReason.NOT_COMPETENT: (
        "L'area è privata: la segnalazione non è di competenza del Comune.",
    ),
    CloseReason.DUPLICATE: ("Problema già segnalato e seguito in un'altra pratica.",),
}


@dataclass(frozen=True)
class Street:
    name: str
    coords: tuple[Coord, ...]  # (lon, lat)
    length_m: float


@dataclass(frozen=True)
class PlannedReport:
    category: CategorySpec
    street: str
    lat: float
    lon: float
    created_at: dt.datetime
    description: str
    language: str
    urgency: int
    emergency: bool
    channel: str
    contact: tuple[str, str, str]  # name, e-mail, phone
    answers: dict[str, Any]
    photo_seeds: tuple[int, ...]


@dataclass(frozen=True)
class Outcome:
    status: str
    taken_in_charge_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    close_reason: str = ""
    text: str = ""


def plan_reports(
    streets: Sequence[Street],
    categories: Sequence[CategorySpec],
    *,
    count: int,
    now: dt.datetime,
    seed: int,
) -> list[PlannedReport]:
    """Return `count` plausible reports on `streets` over the last HISTORY_DAYS, oldest first."""
    rng = random.Random(seed)
    reportable = [c for c in categories if c.weight > 0]
    weights = [c.weight for c in reportable]
    lengths = [s.length_m for s in streets]
    plans: list[PlannedReport] = []
    for _ in range(count):
        if plans and rng.random() < DUPLICATE_SHARE:
            plans.append(_another_report_of(rng.choice(plans), rng, now))
            continue
        category = rng.choices(reportable, weights)[0]
        street = rng.choices(streets, lengths)[0]
        lat, lon = _jitter(*point_along(street.coords, rng.random()), JITTER_M, rng)
        created_at = _moment(rng, now)
        plans.append(_report(category, street.name, lat, lon, created_at, rng))
    plans.sort(key=lambda plan: plan.created_at)
    return _with_emergencies(plans, rng)


def point_along(coords: Sequence[Coord], fraction: float) -> tuple[float, float]:
    """Return (lat, lon) at `fraction` (0..1) of a (lon, lat) polyline's length."""
    target_m = fraction * line_length_m(coords)
    for (lon1, lat1), (lon2, lat2) in pairwise(coords):
        step_m = line_length_m(((lon1, lat1), (lon2, lat2)))
        if target_m <= step_m and step_m > 0:
            t = target_m / step_m
            return lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)
        target_m -= step_m
    lon, lat = coords[-1]
    return lat, lon


def _jitter(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[float, float]:
    north_m = max(-metres, min(metres, rng.gauss(0, metres / 2)))
    east_m = max(-metres, min(metres, rng.gauss(0, metres / 2)))
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def _moment(rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A moment of the last HISTORY_DAYS, mostly in waking hours."""
    day = now - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
    hour = rng.choices(range(24), [1] * 7 + [6] * 15 + [2] * 2)[0]
    moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
    return min(moment, now - dt.timedelta(minutes=rng.randint(5, 300)))


def _report(
    category: CategorySpec,
    street: str,
    lat: float,
    lon: float,
    created_at: dt.datetime,
    rng: random.Random,
) -> PlannedReport:
    english = rng.random() < ENGLISH_SHARE and bool(category.texts_en)
    texts = category.texts_en if english else category.texts_it
    channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
    photos = 0 if not category.scene else _weighted(rng, PHOTO_COUNT_WEIGHTS)
    return PlannedReport(
        category=category,
        street=street,
        lat=lat,
        lon=lon,
        created_at=created_at,
        description=rng.choice(texts).format(street=street) if texts else "",
        language="en" if english else "it",
        urgency=_weighted(rng, URGENCY_WEIGHTS),
        emergency=False,
        channel=channel,
        contact=_contact(channel, rng),
        answers={
            q.code: _answer(q, created_at, rng)
            for q in category.questions
            if q.required or rng.random() < 0.6
        },
        photo_seeds=tuple(rng.getrandbits(32) for _ in range(photos)),
    )


def _another_report_of(first: PlannedReport, rng: random.Random, now: dt.datetime) -> PlannedReport:
    """A second citizen reports the same problem a little later, a few metres away."""
    radius_m = min(first.category.duplicate_radius_m, 30) / 3
    lat, lon = _jitter(first.lat, first.lon, radius_m, rng)
    later = first.created_at + dt.timedelta(hours=rng.uniform(1, 120))
    created_at = min(later, now - dt.timedelta(minutes=1))
    return _report(first.category, first.street, lat, lon, created_at, rng)


def _with_emergencies(plans: list[PlannedReport], rng: random.Random) -> list[PlannedReport]:
    """Flag one report of each EMERGENCY_CATEGORIES as someone hurt or in danger."""
    flagged = []
    for code in EMERGENCY_CATEGORIES:
        for i, plan in enumerate(plans):
            if plan.category.code == code and plan.language == "it" and i not in flagged:
                flagged.append(i)
                break
    for i in flagged:
        plan = plans[i]
        text = EMERGENCY_TEXTS[plan.category.code].format(street=plan.street)
        plans[i] = replace(plan, urgency=5, emergency=True, description=text)
    return plans


def _weighted(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), list(weights.values()))[0]


def _contact(channel: str, rng: random.Random) -> tuple[str, str, str]:
    email = f"citizen{rng.randint(1, CITIZENS)}@example.org"
    phone = f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if channel in (Channel.PHONE, Channel.COUNTER):
        return rng.choice(NAMES), "", phone
    if channel == Channel.EMAIL or rng.random() < 0.45:
        return "", email, ""
    return "", "", ""


def _answer(question: QuestionSpec, created_at: dt.datetime, rng: random.Random) -> Any:
    if question.kind == "choice":
        return rng.choice(question.choices)[0]
    if question.kind == "multichoice":
        picked = rng.sample(question.choices, rng.randint(1, min(2, len(question.choices))))
        return [key for key, _, _ in picked]
    if question.kind == "number":
        return str(rng.randint(*question.number_range))
    if question.kind == "date":
        return (created_at.date() - dt.timedelta(days=rng.randint(1, 20))).isoformat()
    return rng.choice(question.samples) if question.samples else "-"


def plan_outcome(
    first_reported_at: dt.datetime, sla_working_days: int, rng: random.Random, now: dt.datetime
) -> Outcome:
    """Decide what the offices did with an issue: older issues are more often closed."""
    age_days = (now - first_reported_at).total_seconds() / 86400
    if age_days < 1:
        return Outcome(Status.NEW)
    taken = first_reported_at + dt.timedelta(hours=rng.uniform(1, min(48, age_days * 12)))
    if rng.random() < 0.05 + 0.5 * age_days / HISTORY_DAYS:
        reason = rng.choices(list(CLOSE_REASON_WEIGHTS), list(CLOSE_REASON_WEIGHTS.values()))[0]
        work_days = rng.uniform(0.5, max(1.0, sla_working_days * 1.4))
        closed = min(taken + dt.timedelta(days=work_days), now - dt.timedelta(hours=1))
        return Outcome(
            Status.CLOSED,
            taken_in_charge_at=taken,
            closed_at=max(closed, taken),
            close_reason=reason,
            text=rng.choice(CLOSE_TEXTS[reason]),
        )
    if rng.random() < 0.3:
        return Outcome(Status.NEW)
    if rng.random() < 0.35:
        started = min(taken + dt.timedelta(days=rng.uniform(0.2, 5)), now)
        return Outcome(Status.IN_PROGRESS, taken_in_charge_at=taken, started_at=started)
    return Outcome(Status.ASSIGNED, taken_in_charge_at=taken)
