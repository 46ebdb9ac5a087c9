"""Who may see and do what in the back office: roles, their verbs, and their scope.

Every view and API endpoint asks `allowed(user, verb, issue)` (object by object) or filters
with `visible_issues(user)`; menus only reflect these answers.
"""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from backoffice.models import Forwarding, Role, StaffProfile
from reports.models import Issue
from routing.models import RouteStop

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


def role_of(user: User) -> Role | None:
    """Return the user's back-office role, or None for citizens.

    A superuser is an administrator; then the staff profile decides; a member of a crew with
    no profile is crew; a staff account with no profile is an operator (the URP).
    """
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_segnala_role", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    role: Role | None = None
    profile = _profile(user)
    if user.is_superuser:
        role = Role.ADMINISTRATOR
    elif profile is not None:
        role = Role(profile.role)
    elif user.crews.exists():  # type: ignore[union-attr]
        role = Role.CREW
    elif user.is_staff:
        role = Role.OPERATOR
    user._segnala_role = role  # type: ignore[union-attr]
    return role


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
        return issues.filter(department_id=_profile(user).department_id)  # type: ignore[union-attr]
    if role == Role.CREW:
        on_routes = RouteStop.objects.filter(route__crew__members=user).values("issue_id")
        return issues.filter(pk__in=on_routes)
    if role == Role.EXTERNAL:
        body = _profile(user).external_body_id  # type: ignore[union-attr]
        return issues.filter(pk__in=Forwarding.objects.filter(body_id=body).values("issue_id"))
    return issues.none()


def allowed(user: User, verb: Verb, issue: Issue) -> bool:
    """Whether the user may do `verb` on this issue: role and scope, object by object."""
    return can(user, verb) and visible_issues(user).filter(pk=issue.pk).exists()


def department_scope(user: User) -> int | None:
    """The department a coordinator is bound to; None for roles that see every department."""
    profile = _profile(user)
    if profile is not None and profile.role == Role.COORDINATOR:
        return profile.department_id
    return None


def _profile(user: User) -> StaffProfile | None:
    # Cached on the user object for the request: role_of is asked many times per page.
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_segnala_profile", False)
    if cached is False:
        cached = StaffProfile.objects.filter(user=user).first()
        user._segnala_profile = cached  # type: ignore[union-attr]
    return cached


def allowed_for_department(user: User, verb: Verb, department_id: int) -> bool:
    """Whether the user may do `verb` on a whole department (its queue, its crew routes)."""
    role = role_of(user)
    if role is None or verb not in ROLE_VERBS[role]:
        return False
    if role in (Role.ADMINISTRATOR, Role.OPERATOR, Role.MANAGER):
        return True
    return role == Role.COORDINATOR and department_scope(user) == department_id
