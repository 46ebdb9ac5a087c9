"""Pure rules: priority, working days, answers. No database."""

import datetime as dt

import pytest

from reports.answers import AnswersInvalid, QuestionSpec, validate_answers
from reports.priority import PriorityInputs, compute_priority
from reports.sla import add_working_days, is_working_day

ROME = dt.timezone(dt.timedelta(hours=1))


def priority(**overrides: object) -> float:
    inputs = dict(
        base_severity=3, urgencies=[3], emergency=False, people=1, sla_elapsed_fraction=0.0
    )
    inputs.update(overrides)
    return compute_priority(PriorityInputs(**inputs))[0]  # type: ignore[arg-type]


def test_priority_of_a_plain_report_is_its_severity_and_urgency() -> None:
    score, terms = compute_priority(
        PriorityInputs(
            base_severity=3, urgencies=[3], emergency=False, people=1, sla_elapsed_fraction=0.1
        )
    )

    assert score == 40.0
    assert {t.factor: t.points for t in terms} == {
        "severity": 30.0,
        "urgency": 10.0,
        "emergency": 0.0,
        "crowd": 0.0,
        "deadline": 0.0,
    }


def test_more_people_raise_priority_with_diminishing_returns() -> None:
    one, two, four, hundred = (priority(people=n) for n in (1, 2, 4, 100))

    assert one < two < four < hundred
    assert two - one == pytest.approx(10)
    assert four - two == pytest.approx(10)
    assert hundred - one == pytest.approx(30)


def test_an_emergency_outranks_the_most_severe_ordinary_issue() -> None:
    emergency = priority(emergency=True, base_severity=3, urgencies=[3])
    severe = priority(base_severity=5, urgencies=[3])

    assert emergency == 80.0  # 30 severity + 10 urgency + 40 emergency
    assert severe == 60.0
    assert emergency > severe


def test_deadline_term_grows_from_half_the_sla_and_caps() -> None:
    points = [priority(sla_elapsed_fraction=f) for f in (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)]

    assert points[0] == points[1]
    assert points[1] < points[2] < points[3] < points[4] < points[5]
    assert points[5] == points[6] == points[0] + 40


def test_weekends_and_italian_holidays_are_not_working_days() -> None:
    assert not is_working_day(dt.date(2026, 11, 28), ())  # Saturday
    assert not is_working_day(dt.date(2026, 12, 8), ())  # Immacolata
    assert not is_working_day(dt.date(2026, 4, 6), ())  # Easter Monday
    assert not is_working_day(dt.date(2026, 6, 24), ("06-24",))  # patron saint
    assert is_working_day(dt.date(2026, 6, 24), ())
    assert is_working_day(dt.date(2026, 11, 23), ())


def test_every_local_holiday_is_a_day_off() -> None:
    """A town may have a second patron or a closure day of its own (LOCAL_HOLIDAYS)."""
    local = ("01-31", "06-24")

    assert not is_working_day(dt.date(2025, 1, 31), local)  # a Friday
    assert not is_working_day(dt.date(2025, 6, 24), local)  # a Tuesday
    assert is_working_day(dt.date(2025, 1, 30), local)


def test_sla_skips_weekends_and_holidays() -> None:
    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=ROME)

    # Mon 7, (Tue 8 holiday), Wed 9, Thu 10.
    assert add_working_days(friday, 3, ()) == dt.datetime(2026, 12, 10, 10, 0, tzinfo=ROME)
    assert add_working_days(friday, 0, ()) == friday


QUESTIONS = [
    QuestionSpec("size", "choice", True, ("small", "large")),
    QuestionSpec("depth", "number", False),
    QuestionSpec("seen", "date", False),
    QuestionSpec("what", "multichoice", False, ("glass", "paper", "plastic")),
    QuestionSpec("note", "text", False),
]


TODAY = dt.date(2026, 11, 24)


def test_answers_are_cleaned_by_kind() -> None:
    cleaned = validate_answers(
        QUESTIONS,
        {
            "size": "large",
            "depth": "12,5",
            "seen": "2026-11-20",
            "what": ["plastic", "glass", "glass"],
            "note": "  dopo la pioggia ",
        },
        today=TODAY,
    )

    assert cleaned == {
        "size": "large",
        "depth": 12.5,
        "seen": "2026-11-20",
        "what": ["glass", "plastic"],
        "note": "dopo la pioggia",
    }


@pytest.mark.parametrize(
    "raw, bad",
    [
        ({}, "size"),
        ({"size": "  "}, "size"),
        ({"size": "medium"}, "size"),
        ({"size": ["small", "large"]}, "size"),
        ({"size": "small", "depth": "nan"}, "depth"),
        ({"size": "small", "depth": "deep"}, "depth"),
        ({"size": "small", "seen": "20/11/2026"}, "seen"),
        ({"size": "small", "what": ["metal"]}, "what"),
        ({"size": "small", "note": "x" * 1001}, "note"),
        ({"size": "small", "colour": "red"}, "colour"),
    ],
)
def test_bad_answers_name_the_question(raw: dict[str, object], bad: str) -> None:
    with pytest.raises(AnswersInvalid) as error:
        validate_answers(QUESTIONS, raw, today=TODAY)

    assert bad in error.value.errors


@pytest.mark.parametrize(
    "seen, kept",
    [
        ("2026-11-20T10:00:00+01:00", "2026-11-20"),
        ("2026-11-20T23:30:00-05:00", "2026-11-21"),  # the next morning in Rome
        ("2026-11-20T08:00:00", "2026-11-20"),
        ("2026-11-24", "2026-11-24"),
        ("1900-01-01", "1900-01-01"),
    ],
)
def test_a_date_answer_may_be_a_w3c_date_time_and_keeps_its_date_in_our_zone(
    seen: str, kept: str
) -> None:
    assert validate_answers(QUESTIONS, {"size": "small", "seen": seen}, today=TODAY) == {
        "size": "small",
        "seen": kept,
    }


@pytest.mark.parametrize(
    "raw, bad, message",
    [
        ({"seen": "0001-01-01"}, "seen", "Give a date from 1900-01-01 to today."),
        ({"seen": "1899-12-31"}, "seen", "Give a date from 1900-01-01 to today."),
        ({"seen": "2026-11-25"}, "seen", "Give a date from 1900-01-01 to today."),
        ({"seen": "9999-12-31T23:59:59Z"}, "seen", "Give a date from 1900-01-01 to today."),
        ({"seen": "0001-01-01T00:00:00+14:00"}, "seen", "Give a date from 1900-01-01 to today."),
        ({"seen": "2026-02-30T10:00:00Z"}, "seen", "Give a date as YYYY-MM-DD."),
        ({"depth": "1e308"}, "depth", "Give a number from 0 to 1,000,000."),
        ({"depth": "1000000.5"}, "depth", "Give a number from 0 to 1,000,000."),
        ({"depth": "-1"}, "depth", "Give a number from 0 to 1,000,000."),
        ({"depth": "1e400"}, "depth", "Give a number."),
    ],
)
def test_absurd_dates_and_numbers_are_refused_with_the_accepted_range(
    raw: dict[str, object], bad: str, message: str
) -> None:
    with pytest.raises(AnswersInvalid) as error:
        validate_answers(QUESTIONS, {"size": "small", **raw}, today=TODAY)

    assert error.value.errors == {bad: message}


def test_numbers_at_the_bounds_are_kept() -> None:
    for depth, kept in (("0", 0), ("1000000", 1_000_000), ("0,25", 0.25)):
        cleaned = validate_answers(QUESTIONS, {"size": "small", "depth": depth}, today=TODAY)
        assert cleaned["depth"] == kept
