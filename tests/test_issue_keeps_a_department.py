"""An open issue always has somebody to act on it: it is not recategorised to something the
municipality does not handle (no department would take it), nor set waiting for an external
body it was never forwarded to (real PostGIS)."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backoffice.forms import BulkForm, RecategoriseForm
from backoffice.forwarding import forward_issue
from backoffice.models import Role
from geo.models import Department, ExternalBody
from reports import workflow
from reports.models import Issue, Status
from reports.workflow import TransitionRefused
from tests.factories import INSIDE, Territory
from tests.test_backoffice import staff_client


@pytest.fixture
def operator(territory: Territory) -> Client:
    return staff_client(Role.OPERATOR, "urp")


@pytest.fixture
def issue(territory: Territory) -> Issue:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"}
    form["answers"] = {"size": "small"}
    response = APIClient().post("/api/v1/reports/", form, format="json")
    assert response.status_code == 201, response.json()
    return Issue.objects.get(pk=response.json()["issue"])


def post(client: Client, url: str, **form: Any) -> str:
    response = client.post(url, form, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_recategorising_to_what_the_municipality_does_not_handle_is_refused(
    territory: Territory, operator: Client, issue: Issue
) -> None:
    workflow.take_in_charge(issue.pk, actor=None)
    before = Issue.objects.get(pk=issue.pk)

    page = post(
        operator,
        f"/office/issues/{issue.pk}/recategorise/",
        category=territory.gas_leak.pk,
        version=before.version,
    )
    with pytest.raises(TransitionRefused, match="Forward it") as refused:
        workflow.recategorise(issue.pk, actor=None, category=territory.gas_leak)

    after = Issue.objects.get(pk=issue.pk)
    assert (after.category, after.department, after.version) == (
        territory.pothole,
        territory.roads,
        before.version,
    )
    assert "Choose a category the municipality handles" in page
    assert "Gas leak" in str(refused.value)


def test_the_recategorise_form_offers_only_what_the_municipality_handles(
    territory: Territory, operator: Client, issue: Issue
) -> None:
    offered = RecategoriseForm().fields["category"].queryset  # type: ignore[attr-defined]
    page = operator.get(f"/office/issues/{issue.pk}/").content.decode()
    form = page.split("/recategorise/")[1].split("</form>")[0]

    assert territory.streetlight in offered and territory.gas_leak not in offered
    assert "Street light out" in form and "Gas leak" not in form


def test_recategorising_to_a_handled_category_still_moves_the_issue(
    territory: Territory, issue: Issue
) -> None:
    workflow.recategorise(issue.pk, actor=None, category=territory.streetlight)

    moved = Issue.objects.get(pk=issue.pk)
    assert (moved.category, moved.department) == (territory.streetlight, territory.lighting)


def test_waiting_for_an_external_body_is_not_a_bulk_change(
    territory: Territory, operator: Client, issue: Issue
) -> None:
    queue = operator.get("/office/").content.decode()
    bulk_status = queue.split('<select name="status"')[1].split("</select>")[0]
    page = post(
        operator,
        "/office/bulk/",
        issues=[issue.pk],
        action="status",
        status=Status.WAITING_EXTERNAL,
    )
    form = BulkForm(
        {"issues": [issue.pk], "action": "status", "status": Status.WAITING_EXTERNAL},
        departments=Department.objects.all(),
    )

    assert 'value="waiting_external"' not in bulk_status and 'value="in_progress"' in bulk_status
    assert Issue.objects.get(pk=issue.pk).status == Status.NEW
    assert "forwarded to it" in page
    assert not form.is_valid() and "status" in form.errors


def test_only_a_forwarding_sets_an_issue_waiting_for_an_external_body(
    territory: Territory, issue: Issue
) -> None:
    with pytest.raises(TransitionRefused, match="forwarded to it"):
        workflow.change_status(issue.pk, Status.WAITING_EXTERNAL, actor=None)
    assert Issue.objects.get(pk=issue.pk).status == Status.NEW

    body = ExternalBody.objects.create(
        code="acqua", name="Acquedotto", kind="utility", email="guasti@acquedotto.example"
    )
    forward_issue(issue.pk, actor=None, body=body, message="Perdita in via Roma.")

    assert Issue.objects.get(pk=issue.pk).status == Status.WAITING_EXTERNAL
