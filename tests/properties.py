"""Hypothesis strategies and checks shared by tests/test_properties_*.py.

Each property test sends hostile input to a real endpoint and checks two things: the answer
is never a server error, and a refused request leaves no row behind.
"""

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from backoffice.models import Draft
from outbox.models import OutboxMessage
from reports.models import Issue, Photo, Report, Reporter, Subscription, Supporter, TimelineEntry

# Bounded: each file runs in well under a minute on two shared cores. The deadline is a guard
# against a hang, not a performance figure; the territory fixture is built once per test.
BOUNDED = settings(
    max_examples=40,
    deadline=dt.timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

NUMBER_WORDS = [
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e309",
    "-1e309",
    "0x1p3",
    "1_000",
    "\u0663\u066b\u0665",
]
# Unicode text with what breaks naive code: NUL, control characters, right-to-left marks,
# combining marks, emoji, lone surrogates are not representable in UTF-8 and left out.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(st.characters(codec="utf-8"), max_size=50).map(lambda s: s + "\x00" + s),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\u202eevil\u202c",
            "\u200f\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
            "e\u0301" * 50,
            "\x1b[31mred\x1b[0m",
            "\r\n\t\x0b\x0c",
            "<script>alert(1)</script>",
            "'; DROP TABLE reports_report; --",
            "😀" * 100,
            "x" * 5000,
        ]
    ),
)

COORDINATE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from(NUMBER_WORDS),
    st.from_regex(r"\A-?\d{1,3}\.\d{20,400}\Z"),  # huge precision
    HOSTILE_TEXT,
)


def as_form_value(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@st.composite
def valid_boxes(draw: st.DrawFn) -> str:
    """Boxes in range and ordered (tiny, huge, degenerate-thin), with full float precision."""
    lons = sorted(draw(st.lists(st.floats(-180, 180), min_size=2, max_size=2, unique=True)))
    lats = sorted(draw(st.lists(st.floats(-90, 90), min_size=2, max_size=2, unique=True)))
    return ",".join(repr(v) for v in (lons[0], lats[0], lons[1], lats[1]))


BBOX = st.one_of(
    valid_boxes(),
    st.just("24.9,60.16,24.96,60.18"),
    st.lists(COORDINATE.map(as_form_value), min_size=0, max_size=6).map(",".join),
    st.tuples(*[st.floats(min_value=-200, max_value=200)] * 4).map(
        lambda t: ",".join(repr(v) for v in t)
    ),
    HOSTILE_TEXT,
)


def snapshot() -> dict[str, int]:
    """Counts of every table a submission, support or update writes."""
    models = (Issue, Report, Photo, Reporter, TimelineEntry, Subscription, Supporter, Draft)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["OutboxMessage"] = OutboxMessage.objects.count()
    return counts


def assert_no_server_error(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])


def assert_refused_cleanly(response: Any, before: dict[str, int]) -> None:
    """A 4xx with a body saying why, and not a row written."""
    assert_no_server_error(response)
    assert 400 <= response.status_code < 500
    assert response.content
    assert snapshot() == before


def corrupted(valid: dict[str, Any], hostile: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid form with one to three fields replaced by hostile values (or dropped), so that
    the hostile value gets past the other fields' checks to the code behind."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        form = dict(valid)
        for field in draw(st.lists(st.sampled_from(sorted(hostile)), min_size=1, max_size=3)):
            if draw(st.integers(0, 9)) == 0:
                form.pop(field, None)
            else:
                form[field] = draw(hostile[field])
        return form

    return build()
