"""A synthetic city of citizen reports with ground truth, on the demo extract's real streets.

Seeded and vectorised (numpy): 1M reports in well under a minute. Each report belongs to one
physical problem (the ground truth); bench/clustering.py asks clustering methods to recover
the problems from the reports alone. What makes it hard, on purpose, and why:

- Problems lie on the drivable (or named pedestrian) streets of fixtures/osm/helsinki.osm.pbf,
  by category: potholes on the carriageway, lamps, bins and graffiti at the roadside.
- Phone positions are wrong by metres to tens of metres: most GPS fixes are off by 3-10 m,
  12% on wide streets and 30% in narrow ones (buildings reflect the signal, mostly across the
  street) by 20-50 m; people stand up to 8 m from what they report; map pins (30%) are a few
  metres off, some of them put on the street's axis (address search); 1% are placed
  60-250 m away (reported from home). Overall, reports of a busy problem lie a median 8 m
  from its centre, 10% beyond ~20 m and 5% beyond ~27 m.
- GPS fixes come with the accuracy the phone reports (Geolocation's coords.accuracy), map pins
  with none. It is the phone's estimate, not the error: it follows the fix's spread loosely,
  and a good share of the fixes off by 20-50 m claim only 10-20 m (the phone cannot see
  multipath). Drawn from a random stream of its own, so the positions, texts and photos of a
  seed are exactly what they were before the column existed.
- Distinct problems of the same category close together: a problem spawns a sibling 8-20 m
  along the street (a second pothole on a broken stretch, the next lamp on a failed circuit),
  which may spawn another. Siblings are on the same street, often near the same landmark.
- After a fix the same spot often fails again: a new problem (new ground truth) at the same
  position weeks later, so only closures and the recency window tell them apart. Staff record
  most closures, but not all.
- Storms: city-wide bursts of many new problems of storm-prone categories within hours, each
  reported by more people, within hours.
- Reports per problem are heavy-tailed (most problems once, some 5-40 times).
- Descriptions come from per-category phrases in Italian (most) or English: different
  problems of a category share generic words and the street name; reports of one problem
  mention some of its details (house number, landmark, a size or colour), not always the same.
- Photos: pHashes of two photos of one problem are only a little closer than of two problems
  (29 bits apart on average instead of 32: different people, angles and light); a re-sent
  photo (the same picture sent again, by the
  same phone or forwarded to someone who reports it too, from elsewhere) is near-identical;
  some photos are flat (a black night shot of a dead lamp), which all hash alike.
- A few reports pick another category of the same group (a pothole filed as damaged
  pavement): no per-category method can join them, so the recall any such method can reach
  is below 1 (bench/clustering.py prints that ceiling).

The city grows with the size asked for, at a constant density of reports per kilometre of
street per day (1 by default: a busy centre; a whole large city receiving a few hundred
thousand reports a year over thousands of kilometres is nearer 0.2-0.5): up to max_span_days
(two years) of history on one copy of the extract's 37.5 km of streets, then more copies
("tiles") side by side, 300 m apart, as a larger city would be. So 10k reports are 10 months
of one tile, 100k two years of 4 tiles, 1M two years of 37 tiles (~1,400 km of street).
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clustering.simulate import ReportStream
from geo.osm import read_extract
from geo.units import local_xy_m

DEMO_EXTRACT = Path(__file__).resolve().parent.parent / "fixtures" / "osm" / "helsinki.osm.pbf"
EPOCH_S = 1_735_689_600.0  # 2025-01-01 00:00 UTC: the simulated history starts there
DAY_S = 86_400.0
TILE_GAP_M = 300.0
TILE_COLUMNS = 8  # tiles are laid out in rows of this many

CARRIAGEWAY_WEIGHT = {
    "primary": 1.5,
    "secondary": 1.5,
    "tertiary": 1.2,
    "primary_link": 1.0,
    "secondary_link": 1.0,
    "tertiary_link": 1.0,
    "residential": 1.0,
    "unclassified": 1.0,
    "living_street": 0.5,
    "service": 0.5,
}
WIDE = frozenset({"primary", "secondary", "tertiary", "trunk", "motorway"})
HALF_WIDTH_M = {"primary": 8.0, "secondary": 7.0, "tertiary": 6.0, "pedestrian": 5.0}
DEFAULT_HALF_WIDTH_M = 4.0
# How a report was positioned (the "fix" column of the reports).
FIX_GOOD, FIX_BAD, FIX_PIN, FIX_FAR, FIX_FORWARDED = 0, 1, 2, 3, 4
# The reported accuracy has a random stream of its own, seeded by (seed, this): see generate.
ACCURACY_STREAM = 1


@dataclass(frozen=True)
class Kind:
    """A category as the generator sees it: real code, group, radius and catalogue weight."""

    code: str
    group: str
    radius_m: float
    weight: float  # relative frequency, from reports/demo/categories.py
    placement: str  # "carriageway", "roadside" or "area" (anywhere across the street)
    lifetime_days: float  # median time from first report to the fix
    sibling_rate: float  # chance a problem has a distinct sibling 8-20 m along the street
    storm_weight: float  # relative frequency in storm bursts (0: storms do not cause it)
    flat_photo_rate: float  # share of photos that are flat (dark, blank)
    nouns_it: tuple[str, ...]
    nouns_en: tuple[str, ...]
    details: tuple[tuple[str, str], ...]  # (Italian, English): what tells one problem apart
    generic_it: tuple[str, ...]
    generic_en: tuple[str, ...]


_URGE_IT = ("intervenite per favore", "è pericoloso", "segnalo", "grazie", "urgente")
_URGE_EN = ("please fix", "it is dangerous", "thanks", "urgent")

KINDS: tuple[Kind, ...] = (
    Kind(
        "pothole", "roads", 25, 40, "carriageway", 20, 0.25, 3, 0.02,
        ("buca", "buca profonda", "buca pericolosa", "voragine", "asfalto rotto", "avvallamento"),
        ("pothole", "deep pothole", "broken asphalt", "hole in the road"),
        (("piccola", "small"), ("grande", "big"), ("enorme", "huge"),
         ("piena d'acqua", "full of water"), ("profonda 10 cm", "10 cm deep"),
         ("sulla ciclabile", "on the cycle lane"), ("sulle strisce", "on the crossing"),
         ("larga un metro", "one metre wide")),
        ("le auto la scansano", "pericolosa per moto e bici", "c'è da settimane", "si allarga"),
        ("cars swerve", "dangerous for bikes", "there for weeks"),
    ),
    Kind(
        "damaged-pavement", "roads", 25, 15, "roadside", 40, 0.2, 1, 0.02,
        ("marciapiede rotto", "marciapiede dissestato", "mattonelle sollevate", "piastrelle rotte"),
        ("broken pavement", "damaged sidewalk", "loose tiles"),
        (("radici", "roots"), ("mattonelle mancanti", "missing tiles"), ("gradino", "step"),
         ("vicino al passo carraio", "by the driveway"), ("cordolo rotto", "broken kerb")),
        ("si inciampa", "pericoloso per anziani", "passeggini"),
        ("people trip", "dangerous for the elderly"),
    ),
    Kind(
        "road-sign", "roads", 25, 10, "roadside", 15, 0.1, 2, 0.02,
        ("cartello stradale", "segnale caduto", "cartello piegato", "segnaletica"),
        ("road sign", "fallen sign", "bent sign"),
        (("stop", "stop"), ("divieto di sosta", "no parking"), ("precedenza", "give way"),
         ("senso unico", "one way"), ("strisce sbiadite", "faded markings")),
        ("non si vede", "girato"), ("not visible", "turned"),
    ),
    Kind(
        "drain", "roads", 25, 10, "carriageway", 10, 0.2, 4, 0.02,
        ("tombino intasato", "caditoia otturata", "tombino", "allagamento", "grata rotta"),
        ("blocked drain", "drain", "flooding", "broken grate"),
        (("foglie", "leaves"), ("odore", "smell"), ("acqua ferma", "standing water"),
         ("grata mancante", "missing grate"), ("rumore al passaggio", "rattles")),
        ("quando piove si allaga", "strada allagata"), ("floods when it rains",),
    ),
    Kind(
        "street-light-out", "lighting", 25, 30, "roadside", 10, 0.25, 1, 0.2,
        ("lampione spento", "luce spenta", "lampione non funziona", "illuminazione guasta", "buio"),
        ("street light out", "lamp not working", "dark street"),
        (("lampeggia", "flickers"), ("acceso di giorno", "on during the day"),
         ("palo numero 12", "pole number 12"), ("due lampioni", "two lamps"),
         ("sopra le strisce", "over the crossing")),
        ("di sera è buio", "pericoloso di notte", "da giorni"), ("dark at night", "for days"),
    ),
    Kind(
        "lamp-post-damaged", "lighting", 25, 6, "roadside", 20, 0.05, 1, 0.02,
        ("palo della luce piegato", "lampione danneggiato", "palo inclinato", "fili scoperti"),
        ("bent lamp post", "damaged lamp post", "exposed wires"),
        (("urtato da un'auto", "hit by a car"), ("sportello aperto", "open hatch"),
         ("ruggine", "rust")),
        ("rischio crollo", "pericoloso"), ("may fall",),
    ),
    Kind(
        "traffic-light", "lighting", 30, 6, "roadside", 3, 0.05, 1, 0.02,
        ("semaforo guasto", "semaforo spento", "semaforo lampeggiante"),
        ("traffic light broken", "traffic light off"),
        (("pedonale", "pedestrian"), ("sempre rosso", "always red"),
         ("giallo fisso", "stuck on amber")),
        ("incrocio pericoloso",), ("dangerous junction",),
    ),
    Kind(
        "overflowing-bin", "waste", 30, 30, "roadside", 3, 0.2, 0.5, 0.02,
        ("cassonetto pieno", "bidone stracolmo", "spazzatura", "rifiuti fuori dal cassonetto"),
        ("overflowing bin", "full bin", "rubbish"),
        (("plastica", "plastic"), ("carta", "paper"), ("vetro", "glass"), ("umido", "organic"),
         ("indifferenziata", "general waste"), ("cassonetto rotto", "broken bin")),
        ("puzza", "non svuotato da giorni", "gabbiani"), ("smells", "not emptied for days"),
    ),
    Kind(
        "illegal-dumping", "waste", 40, 20, "roadside", 7, 0.15, 0.5, 0.02,
        ("rifiuti abbandonati", "discarica abusiva", "ingombranti abbandonati",
         "sacchi abbandonati"),
        ("fly tipping", "dumped rubbish", "abandoned furniture"),
        (("materasso", "mattress"), ("divano", "sofa"), ("frigorifero", "fridge"),
         ("calcinacci", "rubble"), ("pneumatici", "tyres"), ("elettrodomestici", "appliances")),
        ("da giorni", "qualcuno li ha lasciati"), ("for days",),
    ),
    Kind(
        "street-cleaning", "waste", 50, 12, "area", 10, 0.1, 1, 0.02,
        ("strada sporca", "foglie sul marciapiede", "sporcizia", "vetri rotti a terra"),
        ("dirty street", "leaves on the pavement", "broken glass"),
        (("foglie", "leaves"), ("vetri", "glass"), ("escrementi", "dog mess"), ("olio", "oil")),
        ("non passa la spazzatrice", "da settimane"), ("never swept",),
    ),
    Kind(
        "fallen-tree", "green", 40, 8, "roadside", 3, 0.2, 6, 0.02,
        ("albero caduto", "ramo caduto", "albero pericolante", "rami spezzati"),
        ("fallen tree", "fallen branch", "leaning tree"),
        (("blocca la strada", "blocks the road"), ("sulle auto", "on the cars"),
         ("platano", "plane tree"), ("pino", "pine"), ("sul marciapiede", "on the pavement")),
        ("dopo il temporale", "pericolo", "vento forte"), ("after the storm", "danger"),
    ),
    Kind(
        "grass-cutting", "green", 50, 10, "area", 20, 0.05, 0, 0.02,
        ("erba alta", "sfalcio", "aiuola incolta", "verde non curato"),
        ("long grass", "overgrown verge"),
        (("aiuola", "flower bed"), ("spartitraffico", "traffic island"), ("siepe", "hedge")),
        ("zanzare", "non si vede la strada"), ("mosquitoes",),
    ),
    Kind(
        "playground", "green", 25, 6, "area", 30, 0.05, 0.5, 0.02,
        ("gioco rotto", "altalena rotta", "scivolo danneggiato", "parco giochi"),
        ("broken swing", "playground damaged"),
        (("altalena", "swing"), ("scivolo", "slide"), ("recinzione", "fence"),
         ("panchina", "bench")),
        ("bambini in pericolo",), ("children at risk",),
    ),
    Kind(
        "graffiti", "safety", 25, 20, "roadside", 60, 0.3, 0, 0.02,
        ("graffiti", "scritte sul muro", "muro imbrattato", "tag"),
        ("graffiti", "tags on the wall", "vandalism"),
        (("scritte nere", "black writing"), ("vernice rossa", "red paint"),
         ("sulla serranda", "on the shutter"), ("sul portone", "on the door"),
         ("offensive", "offensive"), ("sul monumento", "on the monument")),
        ("di nuovo", "vandali"), ("again", "vandals"),
    ),
    Kind(
        "abandoned-vehicle", "safety", 25, 12, "roadside", 30, 0.1, 0, 0.02,
        ("auto abbandonata", "veicolo abbandonato", "motorino abbandonato", "carcassa"),
        ("abandoned car", "abandoned vehicle", "abandoned scooter"),
        (("fiat panda bianca", "white fiat panda"), ("auto rossa", "red car"),
         ("senza targa", "no plates"), ("gomme a terra", "flat tyres"),
         ("vetri rotti", "broken windows"), ("station wagon grigia", "grey estate car")),
        ("ferma da mesi", "occupa il parcheggio"), ("there for months",),
    ),
    Kind(
        "noise", "safety", 50, 8, "area", 5, 0.05, 0, 0.02,
        ("rumore", "schiamazzi", "musica alta", "disturbo della quiete"),
        ("noise", "loud music"),
        (("di notte", "at night"), ("locale", "bar"), ("cantiere", "building site"),
         ("allarme", "alarm")),
        ("non si dorme",), ("cannot sleep",),
    ),
    Kind(
        "other", "other", 30, 8, "area", 15, 0.05, 0.5, 0.02,
        ("problema", "segnalazione", "guasto", "danneggiamento"),
        ("problem", "issue", "damage"),
        (("panchina", "bench"), ("fontanella", "fountain"), ("transenna", "barrier"),
         ("ringhiera", "railing")),
        ("da sistemare",), ("needs fixing",),
    ),
)  # fmt: skip

LANDMARKS: tuple[tuple[str, str], ...] = (
    ("la farmacia", "the pharmacy"),
    ("la fermata dell'autobus", "the bus stop"),
    ("la scuola", "the school"),
    ("il bar", "the cafe"),
    ("il supermercato", "the supermarket"),
    ("l'edicola", "the newsstand"),
    ("la chiesa", "the church"),
    ("il parcheggio", "the car park"),
    ("la banca", "the bank"),
    ("la posta", "the post office"),
    ("il semaforo", "the traffic lights"),
    ("la rotonda", "the roundabout"),
    ("l'incrocio", "the junction"),
    ("il ristorante", "the restaurant"),
    ("la palestra", "the gym"),
    ("il benzinaio", "the petrol station"),
    ("la stazione", "the station"),
    ("il mercato", "the market"),
    ("l'hotel", "the hotel"),
    ("il museo", "the museum"),
    ("il giardino", "the garden"),
    ("la biblioteca", "the library"),
    ("il teatro", "the theatre"),
    ("la gelateria", "the ice cream shop"),
    ("il panificio", "the bakery"),
    ("la lavanderia", "the laundry"),
    ("il cinema", "the cinema"),
    ("l'asilo", "the nursery"),
    ("il distributore", "the kiosk"),
    ("la pizzeria", "the pizzeria"),
)


@dataclass(frozen=True)
class CityConfig:
    """How the synthetic city behaves; the defaults are the benchmark's (see module doc)."""

    reports_per_km_day: float = 1.0  # a busy centre; a whole large city is ~0.2-0.5
    max_span_days: float = 730.0  # history per tile before the city grows by a tile
    storms_per_year: float = 10.0
    storm_days_of_problems: float = 4.0  # a storm brings this many days' worth of problems
    storm_hours: float = 12.0  # ... within about this many hours
    recurrence_rate: float = 0.15  # a fixed problem fails again at the same spot
    recurrence_gap_days: float = 60.0  # mean time from the fix to the new failure
    closure_recorded_rate: float = 0.8  # staff close the issue after the fix (else never)
    zipf_exponent: float = 2.1  # reports per problem: P(k) ~ k^-a, capped
    max_reports_per_problem: int = 40
    wave_share: float = 0.7  # reports right after the problem appears (the rest: any time)
    wave_days: float = 2.0  # mean delay of those, days (storm problems: a quarter)
    gps_good_sigma_m: float = 4.0  # per axis; radial error mostly 3-10 m
    gps_bad_share_wide: float = 0.12  # fixes off by 20-50 m, on wide streets
    gps_bad_share_narrow: float = 0.3  # ... and in narrow streets (urban canyon)
    gps_bad_sigma_m: tuple[float, float] = (12.0, 20.0)  # along, across the street
    observer_offset_m: float = 8.0  # people stand up to this far from what they report
    map_pin_share: float = 0.3  # positions set on the map instead of by GPS
    map_pin_sigma_m: float = 5.0
    map_pin_on_axis_share: float = 0.4  # of map pins: put on the street's axis (address)
    map_pin_axis_sigma_m: float = 10.0  # along the street
    far_share: float = 0.01  # placed 60-250 m away (reported from home)
    # What a GPS fix reports as its accuracy (the radius of ~68% confidence), as opposed to its
    # true error above. A 2-D Gaussian error of per-axis sigma s puts 68% of fixes within
    # 1.51 s, so an honest phone would claim ~1.5 s. Phones are not that honest: their claim
    # scatters around it by a lognormal factor (sigma 0.45: 0.5x to 2x for 90% of fixes; how
    # often the claimed radius really holds varies by phone and place, this is our guess).
    # Good fixes so claim a median 6 m (90% within 3-13 m), honest bad ones 18 m on wide
    # streets and 25 m in narrow ones. But a receiver cannot see multipath (a reflected signal
    # taken for the direct one): a share of the bad fixes, off by 20-50 m, claims only 10-20 m
    # (log-uniform) whatever their true error. Phones seldom claim under ~3 m: the floor.
    gps_accuracy_factor: float = 1.5
    gps_accuracy_noise: float = 0.45  # sigma of ln(claim / (factor x per-axis sigma))
    gps_accuracy_floor_m: float = 3.0
    gps_bad_overconfident_share: float = 0.4  # of bad fixes; the rest claim as above
    gps_overconfident_range_m: tuple[float, float] = (10.0, 20.0)
    # Who claims no accuracy: map pins; forwarded re-sends (placed on the map by whoever got the
    # photo); reports from home placed by a map pin (map_pin_share of them; the others are good
    # GPS fixes of the home: a fine accuracy, a position 60-250 m off). A re-send from the same
    # phone carries the original's position, and so its accuracy.
    resend_share: float = 0.04  # reports that re-send an earlier report's photo
    resend_forwarded_share: float = 0.5  # ... by someone else, positioned afresh
    resend_forwarded_sigma_m: float = 15.0
    miscategorised_share: float = 0.02  # reports filed under another category of the group
    photo_counts: tuple[float, float, float] = (0.3, 0.6, 0.1)  # share with 0, 1, 2 photos
    photo_bit_flip: float = 0.45  # another photo of the same problem: each bit flips
    resend_bit_flip: float = 0.015  # the same photo, re-encoded or cropped
    empty_description_share: float = 0.12
    english_share: float = 0.15
    detail_kept: float = 0.75  # a report's detail is its problem's (else another one)
    # How often a description mentions each thing about its problem.
    mention: tuple[tuple[str, float], ...] = (
        ("street", 0.5),
        ("number", 0.25),
        ("landmark", 0.3),
        ("detail", 0.5),
        ("generic", 0.5),
    )


@dataclass(frozen=True)
class Network:
    """The extract's streets as straight pieces, in metres around the extract's centre."""

    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    ux: NDArray[np.float64]  # unit vector along the piece
    uy: NDArray[np.float64]
    length_m: NDArray[np.float64]
    along_m: NDArray[np.float64]  # where the piece starts along its segment
    segment: NDArray[np.int64]
    highway: tuple[str, ...]  # per piece
    drivable: NDArray[np.bool_]
    names: tuple[str, ...]  # per segment
    width_m: float
    height_m: float

    @property
    def street_km(self) -> float:
        return float(self.length_m.sum()) / 1000.0


@dataclass(frozen=True)
class SyntheticCity:
    stream: ReportStream  # what the matcher sees, in time order
    problem: NDArray[np.int64]  # ground truth: the physical problem of each report
    config: CityConfig
    stats: dict[str, float]


@lru_cache(maxsize=4)
def street_network(path: Path = DEMO_EXTRACT) -> Network:
    """Read the extract's street segments into straight pieces (cached per process)."""
    extract = read_extract(path)
    lat0 = (extract.bounds.min_lat + extract.bounds.max_lat) / 2
    lon0 = (extract.bounds.min_lon + extract.bounds.max_lon) / 2
    rows: list[tuple[float, float, float, float, float, int]] = []
    highways: list[str] = []
    drivable: list[bool] = []
    names: list[str] = []
    for seg_index, segment in enumerate(extract.segments):
        names.append(segment.name)
        points = [local_xy_m(lat, lon, lat0, lon0) for lon, lat in segment.coords]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            length = math.hypot(x1 - x0, y1 - y0)
            if length < 0.5:
                continue
            rows.append((x0, y0, (x1 - x0) / length, (y1 - y0) / length, length, seg_index))
            highways.append(segment.highway)
            drivable.append(segment.drivable)
    table = np.array([r[:5] for r in rows])
    segment_ids = np.array([r[5] for r in rows], dtype=np.int64)
    # Start of each piece along its segment: cumulative length within the segment.
    lengths = table[:, 4]
    starts = np.r_[0, np.flatnonzero(np.diff(segment_ids)) + 1]
    cumulative = np.cumsum(lengths) - lengths
    along_m = cumulative - np.repeat(cumulative[starts], np.diff(np.r_[starts, len(rows)]))
    xs = np.r_[table[:, 0], table[:, 0] + table[:, 2] * table[:, 4]]
    ys = np.r_[table[:, 1], table[:, 1] + table[:, 3] * table[:, 4]]
    shift_x, shift_y = xs.min(), ys.min()
    return Network(
        ax=table[:, 0] - shift_x,
        ay=table[:, 1] - shift_y,
        ux=table[:, 2],
        uy=table[:, 3],
        length_m=lengths,
        along_m=along_m,
        segment=segment_ids,
        highway=tuple(highways),
        drivable=np.array(drivable),
        names=tuple(names),
        width_m=float(xs.max() - shift_x),
        height_m=float(ys.max() - shift_y),
    )


def generate(n_reports: int, seed: int, config: CityConfig | None = None) -> SyntheticCity:
    """Generate a city of exactly n_reports reports (the earliest ones of its history)."""
    config = config or CityConfig()
    rng = np.random.default_rng(seed)
    net = street_network()
    tiles, span_days = _city_size(n_reports, net.street_km, config)
    # Problems generated for ~15% more reports than asked: the history is then cut at the
    # n_reports-th report, so the last problems are only partly reported, as today's are.
    # (A small city may fall short by chance, having had fewer storms: then a longer history.)
    reports_per_day = config.reports_per_km_day * net.street_km * tiles
    base_problems_per_day = reports_per_day / _reports_per_base_problem(config)
    margin = 1.15
    while True:
        problems = _problems(rng, net, config, tiles, span_days * margin, base_problems_per_day)
        if len(problems["kind"]):
            reports = _reports(rng, net, config, problems)
            if len(reports["t"]) >= n_reports:
                break
        margin *= 1.5
    order = np.argsort(reports["t"], kind="stable")[:n_reports]
    # Re-sends point at their original by index: follow the originals to their new places
    # (an original comes earlier, so it is kept whenever its re-send is).
    new_index = np.full(len(reports["t"]), -1, dtype=np.int64)
    new_index[order] = np.arange(len(order))
    reports = {key: value[order] for key, value in reports.items()}
    resend_of = reports["resend_of"]
    reports["resend_of"] = np.where(resend_of >= 0, new_index[np.maximum(resend_of, 0)], -1)
    descriptions = _descriptions(rng, net, config, problems, reports)
    phashes = _phashes(rng, config, problems, reports)
    reports["accuracy"] = _reported_accuracy(
        np.random.default_rng([seed, ACCURACY_STREAM]), config, reports
    )
    category_codes = reports["category"]
    kinds = [KINDS[c] for c in category_codes.tolist()]
    problem_ids = reports["problem"]
    stream = ReportStream(
        x_m=reports["x"],
        y_m=reports["y"],
        created_s=EPOCH_S + reports["t"],
        category=[k.code for k in kinds],
        group=[k.group for k in kinds],
        radius_m=np.array([k.radius_m for k in kinds], dtype=np.float64),
        description=descriptions,
        phashes=phashes,
        closed_s=EPOCH_S + problems["closed"][problem_ids],
        accuracy_m=reports["accuracy"],
    )
    stats = _stats(config, problems, reports, tiles, net)
    return SyntheticCity(stream=stream, problem=problem_ids, config=config, stats=stats)


@lru_cache(maxsize=8)
def _reports_per_base_problem(config: CityConfig) -> float:
    """Return how many reports an everyday problem brings, with the storms, siblings and
    recurrences that come with it: measured on a fixed-seed pilot of one tile for a year."""
    rng = np.random.default_rng(20_251_123)
    net = street_network()
    span_days, per_day = 365.0, 100.0
    problems = _problems(rng, net, config, 1, span_days, per_day)
    reports = _reports(rng, net, config, problems)
    return float((reports["t"] < span_days * DAY_S).sum()) / (per_day * span_days)


def _city_size(n_reports: int, street_km: float, config: CityConfig) -> tuple[int, float]:
    """Return how many tiles the city has and how many days of history, for n_reports."""
    per_tile_day = config.reports_per_km_day * street_km
    tiles = max(1, math.ceil(n_reports / (per_tile_day * config.max_span_days)))
    return tiles, n_reports / (per_tile_day * tiles)


Columns = dict[str, NDArray]  # type: ignore[type-arg]


def _problems(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    tiles: int,
    span_days: float,
    per_day: float,
) -> Columns:
    """Place and time the problems: everyday ones, storm bursts, siblings, recurrences."""
    weights = np.array([k.weight for k in KINDS], dtype=np.float64)
    n_base = rng.poisson(per_day * span_days)
    base = _new_problems(
        rng,
        net,
        config,
        kind=rng.choice(len(KINDS), n_base, p=weights / weights.sum()),
        tile=rng.integers(0, tiles, n_base),
        start_d=rng.uniform(0, span_days, n_base),
        storm=np.zeros(n_base, dtype=bool),
    )
    parts = [base]
    storm_weights = np.array([k.storm_weight for k in KINDS], dtype=np.float64)
    n_storms = rng.poisson(config.storms_per_year * span_days / 365.0)
    for storm_day in rng.uniform(0, span_days, n_storms):
        n_storm = rng.poisson(per_day * config.storm_days_of_problems)
        parts.append(
            _new_problems(
                rng,
                net,
                config,
                kind=rng.choice(len(KINDS), n_storm, p=storm_weights / storm_weights.sum()),
                tile=rng.integers(0, tiles, n_storm),
                start_d=storm_day + rng.exponential(config.storm_hours / 24.0 / 2, n_storm),
                storm=np.ones(n_storm, dtype=bool),
            )
        )
    problems = _concat(parts)
    # Two rounds of siblings (a broken stretch can hold three potholes), then recurrences
    # of everything, then of the recurrences.
    frontier = problems
    for _ in range(2):
        rates = np.array([KINDS[k].sibling_rate for k in frontier["kind"].tolist()])
        chosen = np.flatnonzero(rng.random(len(frontier["kind"])) < rates)
        frontier = _siblings(rng, net, config, frontier, chosen)
        problems = _concat([problems, frontier])
    frontier = problems
    for _ in range(2):
        chosen = np.flatnonzero(rng.random(len(frontier["kind"])) < config.recurrence_rate)
        frontier = _recurrences(rng, config, frontier, chosen, span_days)
        problems = _concat([problems, frontier])
    return problems


def _new_problems(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    *,
    kind: NDArray[np.int64],
    tile: NDArray[np.int64],
    start_d: NDArray[np.float64],
    storm: NDArray[np.bool_],
) -> Columns:
    n = len(kind)
    piece = np.empty(n, dtype=np.int64)
    for k in np.unique(kind):
        members = np.flatnonzero(kind == k)
        piece[members] = rng.choice(
            len(net.length_m), len(members), p=_piece_weights(net, KINDS[k].placement)
        )
    offset = rng.uniform(0, net.length_m[piece])
    half_width = np.array([HALF_WIDTH_M.get(h, DEFAULT_HALF_WIDTH_M) for h in net.highway])[piece]
    side = rng.choice([-1.0, 1.0], n)
    placement = np.array([KINDS[k].placement for k in kind.tolist()])
    lateral = np.where(
        placement == "carriageway",
        rng.uniform(-1, 1, n) * half_width,
        np.where(
            placement == "roadside",
            side * (half_width + rng.uniform(0.5, 3.0, n)),
            rng.uniform(-1, 1, n) * (half_width + 10.0),
        ),
    )
    columns = {"kind": kind, "piece": piece, "offset": offset, "lateral": lateral}
    return _finish_problems(rng, net, config, columns, tile, start_d, storm)


def _finish_problems(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    columns: Columns,
    tile: NDArray[np.int64],
    start_d: NDArray[np.float64],
    storm: NDArray[np.bool_],
) -> Columns:
    """Add positions, times, report counts and text details to placed problems."""
    kind, piece, offset, lateral = (
        columns["kind"],
        columns["piece"],
        columns["offset"],
        columns["lateral"],
    )
    n = len(kind)
    tile_x = (tile % TILE_COLUMNS) * (net.width_m + TILE_GAP_M)
    tile_y = (tile // TILE_COLUMNS) * (net.height_m + TILE_GAP_M)
    ux, uy = net.ux[piece], net.uy[piece]
    x = net.ax[piece] + ux * offset - uy * lateral + tile_x
    y = net.ay[piece] + uy * offset + ux * lateral + tile_y
    lifetime_median = np.array([KINDS[k].lifetime_days for k in kind.tolist()])
    lifetime_d = lifetime_median * np.exp(rng.normal(0, 0.9, n))
    lifetime_d = np.where(storm, np.minimum(lifetime_d, lifetime_median), lifetime_d)
    closed_d = np.where(
        rng.random(n) < config.closure_recorded_rate,
        start_d + lifetime_d + rng.exponential(1.0, n),
        np.inf,
    )
    along = net.along_m[piece] + offset
    return {
        **columns,
        "tile": tile,
        "x": x,
        "y": y,
        "start": start_d * DAY_S,
        "fix": (start_d + lifetime_d) * DAY_S,
        "closed": closed_d * DAY_S,
        "storm": storm,
        "reports": _report_counts(rng, net, config, piece, storm),
        "segment": net.segment[piece],
        # House numbers: two per 12 m, odd on one side; landmarks change every 60 m.
        "number": 1 + 2 * (along // 12).astype(np.int64) + (lateral > 0),
        "landmark": (net.segment[piece] * 7919 + (along // 60).astype(np.int64) * 104_729)
        % len(LANDMARKS),
        "detail": rng.integers(0, 1 << 30, n),  # an index into the kind's details, mod len
        "base_hash": _random_hashes(rng, n),
    }


def _piece_weights(net: Network, placement: str) -> NDArray[np.float64]:
    if placement == "carriageway":
        factor = np.array([CARRIAGEWAY_WEIGHT.get(h, 0.0) for h in net.highway])
        weights = net.length_m * factor * net.drivable
    else:
        weights = net.length_m.copy()
    return weights / weights.sum()


def _report_counts(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    piece: NDArray[np.int64],
    storm: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Draw reports per problem: a capped power law; busier streets and storms get more."""
    cap = config.max_reports_per_problem
    k = np.arange(1, cap + 1, dtype=np.float64)
    p = k**-config.zipf_exponent
    counts = rng.choice(np.arange(1, cap + 1), len(piece), p=p / p.sum())
    wide = np.array([h in WIDE for h in net.highway])[piece]
    boost = np.where(storm, 1.5, 1.0) * np.where(wide, 1.3, 1.0)
    return np.minimum(cap, np.maximum(1, np.round(counts * boost))).astype(np.int64)


def _siblings(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    parents: Columns,
    chosen: NDArray[np.int64],
) -> Columns:
    """Place a distinct problem of the same kind 8-20 m along the street from each parent."""
    n = len(chosen)
    piece = parents["piece"][chosen]
    shift = rng.uniform(8.0, 20.0, n) * rng.choice([-1.0, 1.0], n)
    columns = {
        "kind": parents["kind"][chosen],
        "piece": piece,
        # Off the piece's end is fine: it continues straight for a few metres.
        "offset": parents["offset"][chosen] + shift,
        "lateral": parents["lateral"][chosen] + rng.normal(0, 1.5, n),
    }
    start_d = parents["start"][chosen] / DAY_S + rng.exponential(5.0, n)
    return _finish_problems(
        rng, net, config, columns, parents["tile"][chosen], start_d, parents["storm"][chosen]
    )


def _recurrences(
    rng: np.random.Generator,
    config: CityConfig,
    olds: Columns,
    chosen: NDArray[np.int64],
    span_days: float,
) -> Columns:
    """Make the same spot fail again after the fix: a new problem, new reports."""
    start = olds["fix"][chosen] + rng.exponential(config.recurrence_gap_days * DAY_S, len(chosen))
    chosen = chosen[start < span_days * DAY_S]
    start = start[start < span_days * DAY_S]
    n = len(chosen)
    new = {key: value[chosen].copy() for key, value in olds.items()}
    lifetime = (olds["fix"] - olds["start"])[chosen] * np.exp(rng.normal(0, 0.5, n))
    new["x"] = new["x"] + rng.normal(0, 1.5, n)
    new["y"] = new["y"] + rng.normal(0, 1.5, n)
    new["start"] = start
    new["fix"] = start + lifetime
    recorded = rng.random(n) < config.closure_recorded_rate
    new["closed"] = np.where(recorded, new["fix"] + rng.exponential(DAY_S, n), np.inf)
    new["storm"] = np.zeros(n, dtype=bool)
    new["detail"] = rng.integers(0, 1 << 30, n)
    new["base_hash"] = _random_hashes(rng, n)
    return new


def _concat(parts: Sequence[Columns]) -> Columns:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _reports(
    rng: np.random.Generator, net: Network, config: CityConfig, problems: Columns
) -> Columns:
    """Draw each problem's reports: when, where (with the phone's error), which category."""
    counts = problems["reports"]
    problem = np.repeat(np.arange(len(counts)), counts)
    n = len(problem)
    first = np.cumsum(counts) - counts
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    start, fix = problems["start"][problem], problems["fix"][problem]
    storm = problems["storm"][problem]
    wave_s = config.wave_days * DAY_S * np.where(storm, 0.25, 1.0)
    delay = np.where(
        rng.random(n) < config.wave_share,
        rng.exponential(1.0, n) * wave_s,
        rng.uniform(0, 1, n) * (fix - start),
    )
    t = start + np.where(is_first, 0.0, np.minimum(delay, fix - start))
    x, y, fix, fix_sigma = _positions(rng, net, config, problems, problem)
    reports: Columns = {
        "problem": problem,
        "t": t,
        "x": x,
        "y": y,
        "fix": fix,
        "fix_sigma": fix_sigma,
        "category": problems["kind"][problem].copy(),
        "resend_of": np.full(n, -1, dtype=np.int64),
        "photos": rng.choice(3, n, p=np.array(config.photo_counts)),
    }
    reports = _concat([reports, _resends(rng, config, problems, reports)])
    _miscategorise(rng, config, reports)
    return reports


def _positions(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    problems: Columns,
    problem: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int8], NDArray[np.float64]]:
    """Return where each report says it is: the problem's position plus a realistic error.

    Also how it was placed (a FIX_* code) and, for a GPS fix, the per-axis sigma of its error
    in metres (the root mean square of the along- and across-street ones; NaN for a map pin):
    what its reported accuracy is drawn from, later (_reported_accuracy).
    """
    n = len(problem)
    px, py = problems["x"][problem], problems["y"][problem]
    piece = problems["piece"][problem]
    ux, uy = net.ux[piece], net.uy[piece]  # along the street; (-uy, ux) across it
    narrow = ~np.array([h in WIDE for h in net.highway])[piece]
    # GPS: the reporter stands near the problem; the fix is good, or off by tens of metres.
    angle = rng.uniform(0, 2 * math.pi, n)
    stand = rng.uniform(0, config.observer_offset_m, n)
    bad = rng.random(n) < np.where(narrow, config.gps_bad_share_narrow, config.gps_bad_share_wide)
    sigma_along, sigma_across = config.gps_bad_sigma_m
    along = np.where(bad, rng.normal(0, sigma_along, n), rng.normal(0, config.gps_good_sigma_m, n))
    across = np.where(
        bad,
        rng.normal(0, 1, n) * np.where(narrow, sigma_across, sigma_along),
        rng.normal(0, config.gps_good_sigma_m, n),
    )
    gps_x = px + stand * np.cos(angle) + along * ux - across * uy
    gps_y = py + stand * np.sin(angle) + along * uy + across * ux
    # Map pins: a few metres off, or on the street's axis somewhere along it.
    on_axis = rng.random(n) < config.map_pin_on_axis_share
    lateral = problems["lateral"][problem]
    shift = rng.normal(0, config.map_pin_axis_sigma_m, n)
    pin_x = np.where(
        on_axis, px + lateral * uy + shift * ux, px + rng.normal(0, config.map_pin_sigma_m, n)
    )
    pin_y = np.where(
        on_axis, py - lateral * ux + shift * uy, py + rng.normal(0, config.map_pin_sigma_m, n)
    )
    # Reported from elsewhere: far off.
    far_angle = rng.uniform(0, 2 * math.pi, n)
    far_distance = rng.uniform(60.0, 250.0, n)
    source = rng.random(n)
    is_far = source < config.far_share
    is_pin = ~is_far & (source < config.far_share + config.map_pin_share)
    x = np.where(is_far, px + far_distance * np.cos(far_angle), np.where(is_pin, pin_x, gps_x))
    y = np.where(is_far, py + far_distance * np.sin(far_angle), np.where(is_pin, pin_y, gps_y))
    # No random draw below: the rest of the city's random stream stays as it was.
    fix = np.where(is_far, FIX_FAR, np.where(is_pin, FIX_PIN, np.where(bad, FIX_BAD, FIX_GOOD)))
    bad_sigma = np.sqrt((sigma_along**2 + np.where(narrow, sigma_across, sigma_along) ** 2) / 2)
    fix_sigma = np.where(
        fix == FIX_BAD, bad_sigma, np.where(fix == FIX_PIN, np.nan, config.gps_good_sigma_m)
    )
    return x, y, fix.astype(np.int8), fix_sigma


def _reported_accuracy(
    rng: np.random.Generator, config: CityConfig, reports: Columns
) -> NDArray[np.float64]:
    """Return the accuracy each report's phone claimed, metres; NaN with no GPS fix.

    Drawn from the fix's true spread (see CityConfig), not from its actual error: two fixes
    of the same spread claim alike however far each one landed.
    """
    fix, sigma = reports["fix"], reports["fix_sigma"]
    n = len(fix)
    honest = (
        config.gps_accuracy_factor * sigma * np.exp(rng.normal(0, config.gps_accuracy_noise, n))
    )
    low, high = config.gps_overconfident_range_m
    overconfident = (fix == FIX_BAD) & (rng.random(n) < config.gps_bad_overconfident_share)
    claimed = np.where(overconfident, np.exp(rng.uniform(math.log(low), math.log(high), n)), honest)
    gps = (
        (fix == FIX_GOOD)
        | (fix == FIX_BAD)
        | ((fix == FIX_FAR) & (rng.random(n) >= config.map_pin_share))
    )
    accuracy = np.where(gps, np.maximum(claimed, config.gps_accuracy_floor_m), np.nan)
    # The same phone re-sending: the original's position, so the original's accuracy.
    resend_of = reports["resend_of"]
    same_phone = np.flatnonzero((resend_of >= 0) & (fix != FIX_FORWARDED))
    accuracy[same_phone] = accuracy[resend_of[same_phone]]
    return accuracy


def _resends(
    rng: np.random.Generator, config: CityConfig, problems: Columns, reports: Columns
) -> Columns:
    """Copy some reports with a photo: the same picture again, from here or from elsewhere."""
    with_photo = np.flatnonzero(reports["photos"] > 0)
    n = rng.binomial(len(with_photo), config.resend_share)
    original = rng.choice(with_photo, n, replace=False)
    problem = reports["problem"][original]
    forwarded = rng.random(n) < config.resend_forwarded_share
    sigma = config.resend_forwarded_sigma_m
    same_device_x = reports["x"][original] + rng.normal(0, 3.0, n)
    same_device_y = reports["y"][original] + rng.normal(0, 3.0, n)
    return {
        "problem": problem,
        "t": reports["t"][original] + rng.exponential(2 * 3600.0, n),
        "x": np.where(forwarded, problems["x"][problem] + rng.normal(0, sigma, n), same_device_x),
        "y": np.where(forwarded, problems["y"][problem] + rng.normal(0, sigma, n), same_device_y),
        "category": reports["category"][original].copy(),
        "fix": np.where(forwarded, FIX_FORWARDED, reports["fix"][original]).astype(np.int8),
        "fix_sigma": np.where(forwarded, np.nan, reports["fix_sigma"][original]),
        "resend_of": original,
        "photos": reports["photos"][original],
    }


def _miscategorise(rng: np.random.Generator, config: CityConfig, reports: Columns) -> None:
    """File a few reports under another category of the same group (in place)."""
    by_group: dict[str, list[int]] = {}
    for index, spec in enumerate(KINDS):
        by_group.setdefault(spec.group, []).append(index)
    chosen = np.flatnonzero(rng.random(len(reports["category"])) < config.miscategorised_share)
    for i in chosen.tolist():
        kind = int(reports["category"][i])
        others = [k for k in by_group[KINDS[kind].group] if k != kind]
        if others:
            weights = np.array([KINDS[k].weight for k in others], dtype=np.float64)
            reports["category"][i] = others[rng.choice(len(others), p=weights / weights.sum())]


def _descriptions(
    rng: np.random.Generator,
    net: Network,
    config: CityConfig,
    problems: Columns,
    reports: Columns,
) -> list[str]:
    """Write each report's description from its problem's details, in Italian or English."""
    n = len(reports["problem"])
    problem = reports["problem"]
    english = rng.random(n) < config.english_share
    empty = rng.random(n) < config.empty_description_share
    mention = {key: rng.random(n) < share for key, share in config.mention}
    keep_detail = rng.random(n) < config.detail_kept
    other_detail = rng.integers(0, 1 << 30, n)
    number_noise = rng.choice([0, 0, 0, 2, -2], n)
    picks = rng.integers(0, 1 << 30, (n, 2))  # noun, generic phrase
    kind_of_problem = problems["kind"][problem].tolist()
    segment = problems["segment"][problem].tolist()
    number = problems["number"][problem].tolist()
    landmark = problems["landmark"][problem].tolist()
    detail = np.where(keep_detail, problems["detail"][problem], other_detail).tolist()
    # A re-sent report often carries the same text as the original.
    copy_text = (reports["resend_of"] >= 0) & (rng.random(n) < 0.5)
    texts: list[str] = []
    empty_l, english_l, noun_l, generic_l = (
        empty.tolist(),
        english.tolist(),
        picks[:, 0].tolist(),
        picks[:, 1].tolist(),
    )
    said = {key: flags.tolist() for key, flags in mention.items()}
    noise = number_noise.tolist()
    for i in range(n):
        if empty_l[i]:
            texts.append("")
            continue
        kind = KINDS[kind_of_problem[i]]
        en = english_l[i]
        nouns = kind.nouns_en if en else kind.nouns_it
        parts = [nouns[noun_l[i] % len(nouns)]]
        street = net.names[segment[i]]
        if said["street"][i] and street:
            parts.append(f"{'on' if en else 'in'} {street}")
        if said["number"][i]:
            parts.append(f"{'number' if en else 'civico'} {max(1, number[i] + noise[i])}")
        if said["landmark"][i]:
            place = LANDMARKS[landmark[i]][1 if en else 0]
            parts.append(f"near {place}" if en else f"vicino {_to(place)}")
        if said["detail"][i]:
            parts.append(kind.details[detail[i] % len(kind.details)][1 if en else 0])
        if said["generic"][i]:
            generic = (kind.generic_en + _URGE_EN) if en else (kind.generic_it + _URGE_IT)
            parts.append(generic[generic_l[i] % len(generic)])
        text = ", ".join(parts)
        texts.append(text[0].upper() + text[1:])
    # Copies last: an original always comes before its re-sends in time.
    resend_of = reports["resend_of"]
    for i in np.flatnonzero(copy_text).tolist():
        source = int(resend_of[i])
        if 0 <= source < n:
            texts[i] = texts[source]
    return texts


def _to(place: str) -> str:
    """Return an Italian noun phrase with "a" merged into its article: "la scuola" -> "alla"."""
    for article, merged in (("il ", "al "), ("la ", "alla "), ("l'", "all'"), ("lo ", "allo ")):
        if place.startswith(article):
            return merged + place[len(article) :]
    return "a " + place


def _phashes(
    rng: np.random.Generator, config: CityConfig, problems: Columns, reports: Columns
) -> list[tuple[str, ...]]:
    """Give each photo a 64-bit pHash: near its problem's, identical when re-sent, or flat."""
    n = len(reports["problem"])
    problem = reports["problem"]
    base = problems["base_hash"][problem]
    flat_rate = np.array([k.flat_photo_rate for k in KINDS])[problems["kind"][problem]]
    hashes: list[NDArray[np.uint64]] = []
    for _ in range(2):  # up to two photos per report
        own = base ^ _random_bits(rng, n, config.photo_bit_flip)
        flat = np.uint64(1 << 63) ^ _random_bits(rng, n, 1.5 / 64)
        hashes.append(np.where(rng.random(n) < flat_rate, flat, own))
    result: list[tuple[str, ...]] = []
    photos = reports["photos"].tolist()
    first, second = hashes[0].tolist(), hashes[1].tolist()
    for i in range(n):
        count = photos[i]
        values = (first[i], second[i])[:count]
        result.append(tuple(f"{v:016x}" for v in values))
    # A re-send carries the original's pictures, barely changed by re-encoding.
    resend_of = reports["resend_of"]
    for i in np.flatnonzero(resend_of >= 0).tolist():
        source = int(resend_of[i])
        if not 0 <= source < n:
            continue
        noise = _random_bits(rng, len(result[source]), config.resend_bit_flip).tolist()
        result[i] = tuple(
            f"{int(h, 16) ^ m:016x}" for h, m in zip(result[source], noise, strict=True)
        )
    return result


def _random_hashes(rng: np.random.Generator, n: int) -> NDArray[np.uint64]:
    return rng.integers(0, np.iinfo(np.uint64).max, n, dtype=np.uint64, endpoint=True)


def _random_bits(rng: np.random.Generator, n: int, p: float) -> NDArray[np.uint64]:
    """Return n 64-bit masks whose bits are each set with probability p."""
    out = np.empty(n, dtype=np.uint64)
    chunk = 200_000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        bits = rng.random((size, 64), dtype=np.float32) < p
        out[start : start + size] = np.packbits(bits, axis=1).view(">u8").ravel()
    return out


def _stats(
    config: CityConfig, problems: Columns, reports: Columns, tiles: int, net: Network
) -> dict[str, float]:
    problem = reports["problem"]
    t = reports["t"]
    span_days = float(t.max() - t.min()) / DAY_S if len(t) else 0.0
    n_problems = len(np.unique(problem))
    return {
        "reports": float(len(problem)),
        "problems": float(n_problems),
        "tiles": float(tiles),
        "street_km": net.street_km * tiles,
        "span_days": span_days,
        "reports_per_km_day": len(problem) / (net.street_km * tiles) / max(span_days, 1e-9),
        "resends": float((reports["resend_of"] >= 0).sum()),
        "with_accuracy": float(np.isfinite(reports["accuracy"]).sum()),
        "storm_reports": float(problems["storm"][problem].sum()),
        "single_report_problems": float(
            (np.bincount(np.unique(problem, return_inverse=True)[1]) == 1).sum()
        ),
    }
