"""Staff change their own password, or reset a forgotten one by e-mail.

Coordinators, operators and crews are not admin staff, so they had no way at all: a crew member
who forgot theirs waited for an administrator.
"""

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from backoffice.models import Role, StaffProfile

PATH = re.compile(r"http://127\.0\.0\.1:8000(/account/reset/\S+/\S+/)")


def crew_member() -> Any:
    user = get_user_model().objects.create_user(
        "squadra1", email="squadra1@comune.example", password="first-Password-7"
    )
    StaffProfile.objects.create(user=user, role=Role.CREW)
    return user


def test_a_signed_in_crew_member_changes_their_password(db: None) -> None:
    user = crew_member()
    client = Client()
    client.force_login(user)
    assert "/account/password/" in client.get("/crew/").content.decode()

    refused = client.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
    )
    assert refused.status_code == 200 and "error-summary" in refused.content.decode()

    answer = client.post(
        "/account/password/",
        {
            "old_password": "first-Password-7",
            "new_password1": "second-Password-8",
            "new_password2": "second-Password-8",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/account/password/changed/"
    user.refresh_from_db()
    assert user.check_password("second-Password-8")


def test_a_forgotten_password_is_reset_through_the_e_mailed_link(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["*"]  # as behind a proxy that passes any Host on
    user = crew_member()
    assert "/account/reset/" in Client().get("/login/").content.decode()

    unknown = Client().post("/account/reset/", {"email": "nobody@example.org"}, follow=True)
    assert unknown.status_code == 200 and not mail.outbox  # same page, no e-mail
    Client().post("/account/reset/", {"email": "squadra1@comune.example"}, HTTP_HOST="evil.example")

    [message] = mail.outbox
    assert "evil.example" not in message.body  # the site's own address, not the Host header
    assert "for the staff account squadra1." in message.body
    link = PATH.search(message.body)
    assert link is not None, message.body
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = {"new_password1": "third-Password-9", "new_password2": "third-Password-9"}
    saved = client.post(form.redirect_chain[-1][0], new, follow=True)
    assert saved.status_code == 200
    user.refresh_from_db()
    assert user.check_password("third-Password-9")
    used_again = Client().get(link.group(1), follow=True).content.decode()
    assert "expired or was already used" in used_again


def test_the_password_pages_need_a_signed_in_user(db: None) -> None:
    answer = Client().get("/account/password/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


def test_reset_e_mails_are_limited_per_address(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_RESETS_PER_HOUR = 2
    crew_member()
    answers = [
        Client().post("/account/reset/", {"email": "squadra1@comune.example"}).status_code
        for _ in range(3)
    ]

    assert answers == [302, 302, 429]
    assert len(mail.outbox) == 2  # nothing sent over the limit
