"""Who sees which crew routes: their crews' members, and staff whose scope covers the crew."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from routing.models import Crew, CrewRoute, RouteStop


def visible_crews(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Crew]:
    """Return the crews whose routes a user may see: their own; their department's; all."""
    from backoffice.models import Role
    from backoffice.roles import department_scope, role_of
    from config.actors import account

    role = role_of(user)
    if role in (Role.ADMINISTRATOR, Role.OPERATOR, Role.MANAGER):
        return Crew.objects.all()
    if role == Role.COORDINATOR:
        department_id = department_scope(user)
        return (
            Crew.objects.filter(department_id=department_id)
            if department_id
            else Crew.objects.none()
        )
    if role == Role.CREW:
        return Crew.objects.filter(members=account(user))
    return Crew.objects.none()


def visible_routes(user: AbstractBaseUser | AnonymousUser) -> QuerySet[CrewRoute]:
    """Return the crew routes a user may see and work on."""
    return CrewRoute.objects.filter(crew__in=visible_crews(user))


def visible_stops(user: AbstractBaseUser | AnonymousUser) -> QuerySet[RouteStop]:
    """Return the route stops a user may see and act on."""
    return RouteStop.objects.filter(route__crew__in=visible_crews(user))
