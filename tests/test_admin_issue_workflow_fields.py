"""The admin shows an issue's category and department read only: they change through the back
office's actions (reports.workflow recategorise and reassign), which keep the deadline, the
assignment rules, the timeline and the audit log. The admin's other uses keep working."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.forms import BaseForm, MultiWidget
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from backoffice.models import AuditEntry
from reports.models import Issue, TimelineEntry
from tests.factories import INSIDE, Territory


def fields_of(form: BaseForm) -> dict[str, Any]:
    """What a browser posts back for `form` untouched, under the form's prefix."""
    posted: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):  # the admin's date and time, apart
            parts = field.widget.decompress(value)
            for suffix, part in zip(field.widget.widgets_names, parts, strict=True):
                posted[form.add_prefix(name) + suffix] = "" if part is None else part
            continue
        if hasattr(value, "ewkt"):
            value = value.ewkt  # a geometry: the widget's text
        if isinstance(value, bool):
            if value:
                posted[form.add_prefix(name)] = "on"
            continue
        posted[form.add_prefix(name)] = "" if value is None else value
    return posted


def change_form_post(user: AbstractBaseUser, issue: Issue) -> dict[str, Any]:
    """The admin's change form of `issue` posted back as it was shown, inlines included."""
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[Issue]
    form = model_admin.get_form(request, issue, change=True)(instance=issue)
    posted = fields_of(form)
    for formset, _inline in model_admin.get_formsets_with_inlines(request, issue):
        shown = formset(instance=issue, prefix=formset.get_default_prefix())
        posted |= fields_of(shown.management_form)
        for inline_form in shown.forms:
            posted |= fields_of(inline_form)
    return posted


def test_posting_a_new_category_or_department_through_the_admin_changes_neither(
    territory: Territory,
) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    issue_id = APIClient().post("/api/v1/reports/", form, format="json").json()["issue"]
    issue = Issue.objects.get(pk=issue_id)
    assert (issue.category, issue.department) == (territory.pothole, territory.roads)
    before = (issue.due_at, TimelineEntry.objects.count(), AuditEntry.objects.count())
    boss = get_user_model().objects.create_superuser("boss", "boss@comune.example", "pw")
    client = Client()
    client.force_login(boss)
    url = f"/admin/reports/issue/{issue_id}/change/"

    shown = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    posted = change_form_post(boss, issue) | {
        "category": territory.streetlight.pk,
        "department": territory.lighting.pk,
        "address": "Via Roma 1",
    }
    response = client.post(url, posted)

    assert response.status_code == 302, response.content.decode()  # saved, no form error
    issue.refresh_from_db()
    assert (issue.category, issue.department) == (territory.pothole, territory.roads)
    assert issue.address == "Via Roma 1"  # the admin still edits the other fields
    assert before == (issue.due_at, TimelineEntry.objects.count(), AuditEntry.objects.count())
    assert 'name="category"' not in shown and 'name="department"' not in shown
    assert "Change the category" in shown and "Another department" in shown
    assert f'href="/office/issues/{issue_id}/"' in shown
    assert client.get("/admin/reports/issue/add/").status_code == 200
