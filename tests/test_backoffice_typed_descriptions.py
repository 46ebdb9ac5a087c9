"""The back office's issue page shows a report's description as the citizen typed it (kept in
the audit log when contact details were hidden, or before a moderator's edit) to the roles that
may see the reporters' contacts, marked as not public; never a hash, never to anyone else
(real PostGIS)."""

import html
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backoffice.models import AuditEntry, Role, StaffProfile
from privacy.actions import erase_personal_data
from privacy.descriptions import AUDIT_ACTION
from reports.models import Report
from tests.factories import INSIDE, Territory

PHONE, EMAIL = "347 1234567", "giulia.neri@example.org"
TYPED = f"Buca profonda, chiamatemi al {PHONE} o scrivete a {EMAIL}"
MARK = "As the reporter typed it:"


def staff_client(username: str, role: Role, **profile: Any) -> Client:
    user = get_user_model().objects.create_user(username, password="pw")
    StaffProfile.objects.create(user=user, role=role, **profile)
    client = Client()
    client.force_login(user)
    return client


def submit(description: str, **extra: Any) -> Report:
    form = {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": {"size": "small"},
        "description": description,
    }
    response = APIClient().post("/api/v1/reports/", {**form, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def office_page(client: Client, issue_id: int) -> str:
    response = client.get(f"/office/issues/{issue_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_roles_that_see_contacts_see_the_description_as_typed_marked_not_public(
    territory: Territory,
) -> None:
    report = submit(TYPED)
    operator = staff_client("urp", Role.OPERATOR)
    coordinator = staff_client("strade", Role.COORDINATOR, department=territory.roads)

    for client in (operator, coordinator):
        shown = office_page(client, report.issue_id)
        assert f"not public</span> {MARK} {TYPED}</p>" in shown
        assert report.description in shown  # the public text stays, the typed one beside it


def test_roles_that_may_not_see_contacts_never_see_the_description_as_typed(
    territory: Territory,
) -> None:
    report = submit(TYPED)
    manager = staff_client("direzione", Role.MANAGER)

    shown = office_page(manager, report.issue_id)
    public = html.unescape(Client().get(f"/issues/{report.issue_id}/").content.decode())

    assert report.description in shown  # the manager reads the issue, the public text only
    for page in (shown, public):
        assert PHONE not in page and EMAIL not in page and MARK not in page


def test_the_text_before_a_moderators_edit_is_shown_as_typed(territory: Territory) -> None:
    report = submit("Buca, sono Mario Bianchi di via Roma 3")
    operator = staff_client("urp", Role.OPERATOR)

    operator.post(f"/office/reports/{report.pk}/description/", {"description": "Buca in via Roma"})

    shown = office_page(operator, report.issue_id)
    assert f"{MARK} Buca, sono Mario Bianchi di via Roma 3</p>" in shown
    assert "<p>Buca in via Roma</p>" in shown


def test_a_kept_hash_is_never_shown(territory: Territory, settings: Any) -> None:
    settings.MODERATION_KEEP_ORIGINALS = False
    hashed = submit(TYPED)
    settings.MODERATION_KEEP_ORIGINALS = True
    erased = submit(f"Il mio numero: {PHONE}", email=EMAIL)
    erase_personal_data(EMAIL)
    operator = staff_client("urp", Role.OPERATOR)

    for report in (hashed, erased):
        kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
        assert len(kept.before["description"]) == 64
        shown = office_page(operator, report.issue_id)
        assert kept.before["description"] not in shown and MARK not in shown
        assert not re.search(r"[0-9a-f]{64}", shown)
        assert PHONE not in shown


def test_the_issue_page_reads_the_texts_as_typed_in_one_query(territory: Territory) -> None:
    first = submit(TYPED)
    operator = staff_client("urp", Role.OPERATOR)
    office_page(operator, first.issue_id)  # the session and the role, read once
    with CaptureQueriesContext(connection) as one:
        office_page(operator, first.issue_id)
    for n in range(3):
        again = submit(f"Anche io, al {PHONE}, numero {n}")
        assert again.issue_id == first.issue_id  # the same pothole, reported again

    with CaptureQueriesContext(connection) as four:
        shown = office_page(operator, first.issue_id)

    assert shown.count(MARK) == 4
    assert len(four) == len(one)
    audit_reads = [q["sql"] for q in four if 'FROM "backoffice_auditentry"' in q["sql"]]
    assert len(audit_reads) == 1
