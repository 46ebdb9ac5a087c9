"""Who sees which crew routes (the back office's roles will refine "staff")."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from routing.models import Crew, CrewRoute, RouteStop


def visible_crews(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Crew]:
    """Return the crews whose routes a user may see: their own crews; every crew for staff."""
    if not user.is_authenticated:
        return Crew.objects.none()
    if user.is_staff:
        return Crew.objects.all()
    return Crew.objects.filter(members=user)


def visible_routes(user: AbstractBaseUser | AnonymousUser) -> QuerySet[CrewRoute]:
    """Return the crew routes a user may see and work on."""
    return CrewRoute.objects.filter(crew__in=visible_crews(user))


def visible_stops(user: AbstractBaseUser | AnonymousUser) -> QuerySet[RouteStop]:
    """Return the route stops a user may see and act on."""
    return RouteStop.objects.filter(route__crew__in=visible_crews(user))
