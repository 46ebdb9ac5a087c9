"""The back office's roles for the REST API (backoffice.roles decides; these only ask)."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from backoffice import roles
from backoffice.roles import Verb
from reports.models import Issue


class StaffVerb(BasePermission):
    """Let in users whose role includes the view's `staff_verb`; objects are checked by the view.

    Anonymous users get 403 like DRF's IsAdminUser did (session authentication sends no
    challenge).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        return roles.can(request.user, view.staff_verb)


def issue_for(request: Request, verb: Verb, pk: int) -> Issue:
    """Return the issue if the user may do `verb` on it; 404 outside their scope, 403 else."""
    issue = roles.visible_issues(request.user).filter(pk=pk).first()
    if issue is None:
        raise Http404(_("No such issue."))
    if not roles.allowed(request.user, verb, issue):
        raise PermissionDenied
    return issue


def department_for(request: Request, verb: Verb, pk: int) -> None:
    """Refuse (403) a department-wide `verb` outside the user's scope."""
    if not roles.allowed_for_department(request.user, verb, pk):
        raise PermissionDenied
