"""A NUL character in a text answer is refused with a message, not stored (PostgreSQL cannot
keep it in jsonb: the API's insert failed with a 500)."""

from rest_framework.test import APIClient

from reports.models import Question, Report
from tests.factories import INSIDE, Territory


def test_a_nul_in_a_text_answer_is_a_400_in_the_users_language(territory: Territory) -> None:
    Question.objects.create(
        category=territory.pothole,
        code="where",
        label_it="Dove esattamente?",
        label_en="Where exactly?",
        kind=Question.Kind.TEXT,
        required=False,
        order=3,
    )
    form = {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": {"size": "small", "where": "davanti\x00al civico 3"},
    }

    answer = APIClient().post("/api/v1/reports/", form, format="json", HTTP_ACCEPT_LANGUAGE="it")

    assert answer.status_code == 400
    assert "NUL" in str(answer.json()["answers"])
    assert "carattere" in str(answer.json()["answers"])
    assert not Report.objects.exists()
    form["answers"]["where"] = "davanti al civico 3"
    assert APIClient().post("/api/v1/reports/", form, format="json").status_code == 201
