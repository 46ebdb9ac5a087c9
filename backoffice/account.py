"""The staff's own password: change it when signed in, or reset it by e-mail when forgotten.

Django's views, in the back office's look. Coordinators, operators and crews are not admin
staff (is_staff), so the admin's password pages are not theirs. A reset e-mail goes only to an
active account's address; the page says the same whether or not the address is known.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _

from config.client_address import client_address
from config.ratelimit import count_call
from privacy.actions import email_fingerprint

RESET_WINDOW_S = 3600


class ResetView(auth_views.PasswordResetView):
    """Django's reset, with PASSWORD_RESETS_PER_HOUR per client address and per e-mail address.

    Without it anyone could have the site send a staff mailbox (and the mail quota) an e-mail per
    request. Over the limit the form comes back with 429 and nothing is sent.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        limit = settings.PASSWORD_RESETS_PER_HOUR
        counts = [
            count_call(f"reset:client:{client_address(self.request)}", RESET_WINDOW_S),
            count_call(
                f"reset:email:{email_fingerprint(form.cleaned_data['email'])}", RESET_WINDOW_S
            ),
        ]
        if max(counts) > limit:
            form.add_error(None, _("Too many requests. Please try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


urlpatterns = [
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="backoffice/password_change.html",
            success_url=reverse_lazy("password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "account/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="backoffice/password_message.html",
            extra_context={"done": "changed"},
        ),
        name="password-change-done",
    ),
    path(
        "account/reset/",
        ResetView.as_view(
            template_name="backoffice/password_reset.html",
            email_template_name="backoffice/email/password_reset.txt",
            subject_template_name="backoffice/email/password_reset_subject.txt",
            success_url=reverse_lazy("password-reset-sent"),
            # Links lead to the site's own address, never to a Host header someone sent.
            extra_email_context={
                "site_url": settings.SITE_URL,
                "site_name": settings.MUNICIPALITY_NAME,
            },
        ),
        name="password-reset",
    ),
    path(
        "account/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="backoffice/password_message.html", extra_context={"done": "sent"}
        ),
        name="password-reset-sent",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="backoffice/password_reset_confirm.html",
            success_url=reverse_lazy("password-reset-done"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="backoffice/password_message.html", extra_context={"done": "reset"}
        ),
        name="password-reset-done",
    ),
]
