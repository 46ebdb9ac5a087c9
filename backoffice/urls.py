from django.contrib.auth import views as auth_views
from django.urls import path

from backoffice import account, forwarding, intake, moderation, views

urlpatterns = [
    # The staff's own login (the admin's login is for staff accounts with is_staff only):
    # operators, coordinators and crews log in here; django-axes counts the failures.
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *account.urlpatterns,
    path("office/", views.queue, name="office-queue"),
    path("office/filters/", views.save_filter, name="office-save-filter"),
    path("office/filters/<int:pk>/delete/", views.delete_filter, name="office-delete-filter"),
    path("office/bulk/", views.bulk, name="office-bulk"),
    path("office/issues/<int:pk>/", views.issue_page, name="office-issue"),
    path("office/updates/<int:pk>/photo/", views.update_photo, name="office-update-photo"),
    path("office/issues/<int:pk>/<str:action>/", views.issue_action, name="office-issue-action"),
    path("external/<str:token>/", forwarding.external_page, name="external-answer"),
    path(
        "office/reports/<int:pk>/<str:action>/",
        moderation.report_action,
        name="office-report-action",
    ),
    path("office/photos/<int:pk>/redact/", moderation.redact_page, name="office-redact-photo"),
    path(
        "office/photos/<int:pk>/original/",
        moderation.original_photo,
        name="office-original-photo",
    ),
    path(
        "office/photos/<int:pk>/hidden/<str:kind>/",
        moderation.hidden_photo,
        name="office-hidden-photo",
    ),
    path("office/intake/", intake.intake_page, name="office-intake"),
    path("office/intake/submit/", intake.intake_submit, name="office-intake-submit"),
    path("office/intake/<int:pk>/", intake.intake_done, name="office-intake-done"),
    path("office/drafts/", intake.drafts_page, name="office-drafts"),
    path("office/drafts/<int:pk>/discard/", intake.discard_draft, name="office-discard-draft"),
    path(
        "office/drafts/attachments/<int:pk>/",
        intake.draft_attachment,
        name="office-draft-attachment",
    ),
]
