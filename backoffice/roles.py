"""Who may see and do what in the back office: roles, their verbs, and their scope.

Every view and API endpoint asks `allowed(user, verb, issue)` (object by object) or filters
with `visible_issues(user)`; menus only reflect these answers.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet

from backoffice.models import Forwarding, Role
from config.actors import account
from reports.models import Issue
from routing.models import Crew, RouteStop

User = AbstractBaseUser | AnonymousUser


class Verb(StrEnum):
    VIEW = "view"  # open the issue in the back office, see its whole timeline
    ACT = "act"  # reply, note, take in charge, close, reopen, bulk changes
    REASSIGN = "reassign"  # another department or category
    MERGE = "merge"  # merge and split
    FORWARD = "forward"  # to an external body
    MODERATE = "moderate"  # edit descriptions, redact photos, hide from the public
    CONTACTS = "contacts"  # see the reporters' names, e-mails and phones
    NOTE = "note"  # internal notes only
    INTAKE = "intake"  # phone and counter reports
    STATS = "stats"  # statistics pages


_ALL = frozenset(Verb)
ROLE_VERBS: dict[Role, frozenset[Verb]] = {
    Role.ADMINISTRATOR: _ALL,
    Role.OPERATOR: _ALL - {Verb.STATS},
    Role.COORDINATOR: frozenset(
        {
            Verb.VIEW,
            Verb.ACT,
            Verb.REASSIGN,
            Verb.MERGE,
            Verb.FORWARD,
            Verb.CONTACTS,
            Verb.NOTE,
            Verb.STATS,
        }
    ),
    Role.CREW: frozenset({Verb.VIEW, Verb.NOTE}),
    Role.EXTERNAL: frozenset({Verb.VIEW}),
    Role.MANAGER: frozenset({Verb.VIEW, Verb.STATS}),
}


@dataclass(frozen=True)
class Standing:
    """A user's role and what it is bound to, read once per request."""

    role: Role | None
    department_id: int | None = None
    external_body_id: int | None = None


def standing(user: User) -> Standing:
    """Return the user's role and binding, in one query, cached on the user object.

    A superuser is an administrator; then the staff profile decides; a member of a crew with
    no profile is crew; a staff account with no profile is an operator (the URP).
    """
    if not user.is_authenticated:
        return Standing(None)
    cached = getattr(user, "_segnala_standing", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row: dict[str, Any] = dict(
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            is_crew=Exists(Crew.members.through.objects.filter(user_id=OuterRef("pk"))),
        )
        .values(
            "is_crew",
            "staff_profile__role",
            "staff_profile__department_id",
            "staff_profile__external_body_id",
        )
        .first()
        or {}
    )
    if getattr(user, "is_superuser", False):
        found = Standing(Role.ADMINISTRATOR)
    elif row.get("staff_profile__role"):
        found = Standing(
            Role(row["staff_profile__role"]),
            row["staff_profile__department_id"],
            row["staff_profile__external_body_id"],
        )
    elif row.get("is_crew"):
        found = Standing(Role.CREW)
    elif getattr(user, "is_staff", False):
        found = Standing(Role.OPERATOR)
    else:
        found = Standing(None)
    setattr(user, "_segnala_standing", found)  # noqa: B010 - a per-request cache
    return found


def role_of(user: User) -> Role | None:
    """Return the user's back-office role, or None for citizens (see `standing`)."""
    return standing(user).role


def can(user: User, verb: Verb) -> bool:
    """Whether the user's role includes `verb` at all (for menus and non-issue pages)."""
    role = role_of(user)
    return role is not None and verb in ROLE_VERBS[role]


def visible_issues(user: User) -> QuerySet[Issue]:
    """Return the issues the user may open in the back office (their scope)."""
    role = role_of(user)
    issues = Issue.objects.all()
    if role in (Role.ADMINISTRATOR, Role.OPERATOR, Role.MANAGER):
        return issues
    if role == Role.COORDINATOR:
        department_id = standing(user).department_id
        return issues.filter(department_id=department_id) if department_id else issues.none()
    if role == Role.CREW:
        on_routes = RouteStop.objects.filter(route__crew__members=account(user)).values("issue_id")
        return issues.filter(pk__in=on_routes)
    if role == Role.EXTERNAL:
        body = standing(user).external_body_id
        return issues.filter(pk__in=Forwarding.objects.filter(body_id=body).values("issue_id"))
    return issues.none()


def allowed(user: User, verb: Verb, issue: Issue) -> bool:
    """Whether the user may do `verb` on this issue: role and scope, object by object."""
    return can(user, verb) and visible_issues(user).filter(pk=issue.pk).exists()


def department_scope(user: User) -> int | None:
    """The department a coordinator is bound to; None for roles that see every department."""
    found = standing(user)
    return found.department_id if found.role == Role.COORDINATOR else None


def allowed_for_department(user: User, verb: Verb, department_id: int) -> bool:
    """Whether the user may do `verb` on a whole department (its queue, its crew routes)."""
    role = role_of(user)
    if role is None or verb not in ROLE_VERBS[role]:
        return False
    if role in (Role.ADMINISTRATOR, Role.OPERATOR, Role.MANAGER):
        return True
    return role == Role.COORDINATOR and department_scope(user) == department_id
