"""The demo city's organisation and catalogue: bodies, departments, categories, questions.

Plain data, in the municipality's two languages. The loader (reports.demo.loader) turns it
into rows; nothing here touches the database.
"""

from dataclasses import dataclass

from geo.models import ExternalBody
from reports.models import Question

Choices = tuple[tuple[str, str, str], ...]  # (key, Italian, English)


@dataclass(frozen=True)
class BodySpec:
    code: str
    name: str
    kind: str
    email: str
    phone: str
    website: str
    response_days: int


@dataclass(frozen=True)
class DepotSpec:
    name: str
    near: tuple[float, float]  # (lat, lon): the depot goes on the nearest drivable street
    crews: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    emergency_contact_name: str
    emergency_phone: str
    contractor: str = ""  # an ExternalBody code
    depots: tuple[DepotSpec, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.code}@comune.example"

    @property
    def emergency_email(self) -> str:
        return f"{self.code}-reperibilita@comune.example"


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name_it: str
    name_en: str
    color: str


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    label_it: str
    label_en: str
    kind: str
    required: bool = False
    choices: Choices = ()
    samples: tuple[str, ...] = ()  # demo answers to a text question
    number_range: tuple[int, int] = (1, 10)  # demo answers to a number question


@dataclass(frozen=True)
class CategorySpec:
    code: str
    group: str
    name_it: str
    name_en: str
    description_it: str
    description_en: str
    keywords: str
    department: str | None
    base_severity: int
    sla_working_days: int
    # No less than 25 m: a phone's position is as wrong beside a small object as beside a
    # pothole, so a smaller radius splits one problem's reports, and two problems 15 m apart
    # stay two at 25 m all the same (their words and photos differ: clustering/match.py).
    # bench/clustering.py: raising the 15-20 m categories to 25 m, +0.010 pair F1 on seeds 1
    # and 2, at 100k and 1M reports.
    duplicate_radius_m: int
    questions: tuple[QuestionSpec, ...] = ()
    redirect_body: str = ""
    redirect_it: str = ""
    redirect_en: str = ""
    match_whole_group: bool = False
    # Demo reports: relative frequency, photo scene, descriptions ({street} is filled in).
    weight: int = 0
    scene: str = "street"
    texts_it: tuple[str, ...] = ()
    texts_en: tuple[str, ...] = ()


def choices(*triples: tuple[str, str, str]) -> Choices:
    return tuple(triples)


YES_NO = choices(("yes", "Sì", "Yes"), ("no", "No", "No"))
Kind = ExternalBody.Kind
Q = Question.Kind

BODIES = (
    BodySpec(
        "ecoservizi",
        "Ecoservizi Urbani S.p.A.",
        Kind.WASTE,
        "segnalazioni@ecoservizi.example",
        "+39 000 100 2000",
        "https://ecoservizi.example",
        5,
    ),
    BodySpec(
        "acque-gas",
        "Acque e Gas Metropolitani S.p.A.",
        Kind.UTILITY,
        "guasti@acquegas.example",
        "+39 800 000 111",
        "https://acquegas.example",
        3,
    ),
    BodySpec(
        "strade-regionali",
        "Agenzia regionale strade",
        Kind.AUTHORITY,
        "manutenzione@strade.example",
        "+39 000 300 4000",
        "https://strade.example",
        15,
    ),
)

DEPARTMENTS = (
    DepartmentSpec(
        "strade",
        "Strade e manutenzione",
        "Reperibile manutenzione strade",
        "+39 000 555 0101",
        depots=(
            DepotSpec(
                "Magazzino Siltasaari",
                (60.1772, 24.9489),
                ("Squadra strade 1", "Squadra strade 2", "Squadra asfalti"),
            ),
        ),
    ),
    DepartmentSpec(
        "illuminazione",
        "Illuminazione pubblica",
        "Reperibile impianti elettrici",
        "+39 000 555 0202",
        depots=(
            DepotSpec(
                "Officina Kaartinkaupunki", (60.1655, 24.9455), ("Elettricisti 1", "Elettricisti 2")
            ),
        ),
    ),
    DepartmentSpec(
        "igiene-urbana",
        "Igiene urbana",
        "Centrale operativa Ecoservizi",
        "+39 000 100 2001",
        contractor="ecoservizi",
        depots=(
            DepotSpec("Rimessa Ecoservizi", (60.1755, 24.9395), ("Compattatore 1", "Spazzamento")),
        ),
    ),
    DepartmentSpec(
        "verde",
        "Verde pubblico",
        "Reperibile verde e alberature",
        "+39 000 555 0404",
        depots=(
            DepotSpec("Serre Kaisaniemi", (60.1728, 24.9455), ("Giardinieri", "Squadra potature")),
        ),
    ),
    DepartmentSpec(
        "polizia-locale",
        "Polizia locale",
        "Centrale operativa polizia locale",
        "+39 000 555 0505",
        depots=(DepotSpec("Comando Kluuvi", (60.1690, 24.9500), ("Pattuglia decoro",)),),
    ),
    # Web services have no field crew: the IT office fixes them from its desks.
    DepartmentSpec(
        "sistemi-informativi", "Sistemi informativi", "Reperibile CED", "+39 000 555 0606"
    ),
)

GROUPS = (
    GroupSpec("roads", "Strade e marciapiedi", "Roads and pavements", "#e8590c"),
    GroupSpec("lighting", "Illuminazione pubblica", "Street lighting", "#f2b705"),
    GroupSpec("waste", "Rifiuti e pulizia", "Waste and street cleaning", "#8c6d46"),
    GroupSpec("green", "Verde pubblico", "Parks and trees", "#2b8a3e"),
    GroupSpec("safety", "Sicurezza e decoro", "Safety and public order", "#c92a2a"),
    GroupSpec("digital", "Servizi digitali", "Digital services", "#5f3dc4"),
    GroupSpec("other", "Altro", "Other", "#495057"),
)
