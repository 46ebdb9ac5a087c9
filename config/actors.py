"""Who did something: a member of staff or a crew (an account), or nobody (a citizen, a task)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

Actor = AbstractBaseUser | AnonymousUser | None


def account(actor: Actor) -> User | None:
    """Return the account to record as the actor of a change, or None for anonymous actors."""
    return actor if isinstance(actor, User) else None
