"""The citizen's personal-data pages: ask for a link, see and download the data, delete it."""

import json
import logging
from smtplib import SMTPException

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from config.client_address import client_address
from privacy.access import (
    LinkExpired,
    LinkInvalid,
    email_from_token,
    over_rate_limit,
    send_access_mail,
)
from privacy.actions import erase_personal_data, export_personal_data

logger = logging.getLogger(__name__)


class AccessRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


@require_http_methods(["GET", "POST"])
def request_page(request: HttpRequest) -> HttpResponse:
    """Ask for a link to one's data; the same answer whether the address is known or not."""
    form = AccessRequestForm(request.POST or None)
    if request.method != "POST":
        return render(request, "privacy/request.html", {"form": form})
    if not form.is_valid():
        return render(request, "privacy/request.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if over_rate_limit(client_address(request), email):
        context = {"form": form, "error": _("Too many requests. Please try again in an hour.")}
        return render(request, "privacy/request.html", context, status=429)
    try:
        send_access_mail(email, (get_language() or settings.LANGUAGE_CODE)[:2])
    except (SMTPException, OSError):
        logger.exception("sending a personal-data link failed")
        context = {"form": form, "error": _("We could not send the e-mail just now. Please retry.")}
        return render(request, "privacy/request.html", context, status=503)
    return render(request, "privacy/sent.html", {"email": email})


def _email_or_error(request: HttpRequest, token: str) -> tuple[str | None, HttpResponse | None]:
    try:
        return email_from_token(token), None
    except LinkExpired:
        message = _("This link has expired. Ask for a new one.")
        status = 410
    except LinkInvalid:
        message = _("This link is not valid. It may have been copied incompletely.")
        status = 400
    return None, render(request, "privacy/link_error.html", {"message": message}, status=status)


@never_cache
def data_page(request: HttpRequest, token: str) -> HttpResponse:
    """What we hold for the address of a signed link, with download and delete."""
    email, error = _email_or_error(request, token)
    if error is not None:
        return error
    data = export_personal_data(email) if email else None
    return render(request, "privacy/data.html", {"token": token, "data": data})


@never_cache
def download(request: HttpRequest, token: str) -> HttpResponse:
    """Everything we hold for the link's address, as a JSON file."""
    email, error = _email_or_error(request, token)
    if error is not None:
        return error
    data = export_personal_data(email) if email else {"people": [], "messages_to_the_office": []}
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="segnala-personal-data.json"'
    return response


@never_cache
@require_POST
def erase(request: HttpRequest, token: str) -> HttpResponse:
    """Anonymise everything held for the link's address; the reports stay, without a name."""
    email, error = _email_or_error(request, token)
    if error is not None:
        return error
    if email:
        erase_personal_data(email)
    return render(request, "privacy/erased.html")
