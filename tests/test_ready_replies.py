"""Ready replies in every language: staff pick one by its title in their own language and the
reply box gets the text in the reporters' language; the admin edits a title and a text per
language, and the migration kept the replies written before (real PostGIS)."""

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from rest_framework.test import APIClient

from backoffice.models import ResponseTemplate, Role
from reports.models import Report
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import staff_client


@pytest.fixture
def operator(territory: Territory) -> Client:
    return staff_client(Role.OPERATOR)


@pytest.fixture
def filled(territory: Territory) -> ResponseTemplate:
    return ResponseTemplate.objects.create(
        titles={"it": "Buca chiusa", "en": "Pothole filled"},
        category=territory.pothole,
        texts={"it": "Abbiamo chiuso la buca.", "en": "We filled the pothole."},
    )


def reported_in(language: str, metres: int = 0, issue: int | None = None) -> int:
    """File a pothole as a citizen whose browser speaks `language`; return its issue."""
    response = APIClient().post(
        "/api/v1/reports/",
        {
            "lat": moved(INSIDE, metres, 0)[0],
            "lon": moved(INSIDE, metres, 0)[1],
            "category": "pothole",
            "answers": {"size": "small"},
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 201, response.json()
    found = int(response.json()["issue"])
    assert issue is None or found == issue  # it joined the issue asked for
    return found


def offered(client: Client, issue: int, staff_language: str) -> dict[str, str]:
    """The ready replies of the issue page's reply box: title -> the text it puts in."""
    page = client.get(f"/office/issues/{issue}/", HTTP_ACCEPT_LANGUAGE=staff_language)
    picker = page.content.decode().split('data-target="id_reply-text"')[1].split("</select>")[0]
    return {
        html.unescape(title): html.unescape(text)
        for text, title in re.findall(r'<option value="([^"]+)">([^<]*)</option>', picker)
    }


def test_italian_staff_pick_by_italian_title_and_insert_the_english_reporters_text(
    filled: ResponseTemplate, operator: Client
) -> None:
    issue = reported_in("en")
    assert Report.objects.get(issue=issue).language == "en"

    assert offered(operator, issue, "it") == {"Buca chiusa": "We filled the pothole."}
    assert offered(operator, issue, "en") == {"Pothole filled": "We filled the pothole."}


def test_an_italian_reporter_gets_the_italian_text_whatever_the_staff_read(
    filled: ResponseTemplate, operator: Client
) -> None:
    issue = reported_in("it")

    assert offered(operator, issue, "en") == {"Pothole filled": "Abbiamo chiuso la buca."}


def test_reporters_in_both_languages_get_a_paragraph_each(
    filled: ResponseTemplate, operator: Client
) -> None:
    issue = reported_in("it")
    reported_in("en", metres=5, issue=issue)

    assert offered(operator, issue, "en") == {
        "Pothole filled": "Abbiamo chiuso la buca.\n\nWe filled the pothole."
    }
    page = operator.get(f"/office/issues/{issue}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ready replies come in the reporters' language: Italian, English." in page


def test_a_language_without_its_text_falls_back_to_the_default_one(
    territory: Territory, operator: Client, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "it"
    ResponseTemplate.objects.create(titles={"it": "Lampione"}, texts={"it": "Lampione riparato."})
    issue = reported_in("en")

    assert offered(operator, issue, "en") == {"Lampione": "Lampione riparato."}


def test_the_admin_edits_a_title_and_a_text_in_each_language(
    territory: Territory, admin_client: Client, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "it"  # Italian required, English optional
    form = {
        "title_it": "Risolto",
        "text_it": "Il problema è stato risolto.",
        "title_en": "Fixed",
        "text_en": "The problem has been fixed.",
        "category": territory.pothole.pk,
        "status": "closed",
        "active": "on",
    }
    response = admin_client.post("/admin/backoffice/responsetemplate/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    template = ResponseTemplate.objects.get()
    assert template.titles == {"it": "Risolto", "en": "Fixed"}
    assert template.texts == {
        "it": "Il problema è stato risolto.",
        "en": "The problem has been fixed.",
    }

    change = f"/admin/backoffice/responsetemplate/{template.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert 'value="Risolto"' in page and 'value="Fixed"' in page
    assert "The problem has been fixed.</textarea>" in page
    admin_client.post(change, {**form, "title_en": "", "text_en": ""})
    template.refresh_from_db()
    assert template.titles == {"it": "Risolto"} and template.texts == {
        "it": "Il problema è stato risolto."
    }


def test_the_admin_refuses_a_reply_without_the_default_languages_text(
    territory: Territory, admin_client: Client, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "it"
    response = admin_client.post(
        "/admin/backoffice/responsetemplate/add/",
        {"title_en": "Fixed", "text_en": "Fixed.", "title_it": "Risolto", "status": ""},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["text_it"]
    assert not ResponseTemplate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_title_and_both_texts_of_existing_replies(
    settings: Any,
) -> None:
    settings.LANGUAGE_CODE = "it"
    before, after = (
        ("backoffice", "0006_operator_groups"),
        ("backoffice", "0007_response_template_languages"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("backoffice", "ResponseTemplate")
    old.objects.create(title="Risolto", text_it="Risolto, grazie.", text_en="Fixed, thanks.")
    old.objects.create(title="Lampione", text_it="Lampione riparato.", text_en="")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([after])

    new = executor.loader.project_state([after]).apps.get_model("backoffice", "ResponseTemplate")
    rows = {row.titles["it"]: row for row in new.objects.all()}
    assert rows["Risolto"].titles == {"it": "Risolto"}
    assert rows["Risolto"].texts == {"it": "Risolto, grazie.", "en": "Fixed, thanks."}
    assert rows["Lampione"].texts == {"it": "Lampione riparato."}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
