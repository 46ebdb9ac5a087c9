from django.urls import path

from reports import views

urlpatterns = [
    path("", views.submit_page, name="submit"),
    path("t/", views.track_lookup, name="track-lookup"),
    path("t/<str:code>/", views.track_page, name="track"),
    path("issues/<int:pk>/", views.issue_page, name="issue"),
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
    path("confirm/<str:token>/", views.confirm_email_page, name="confirm-email"),
    path("favicon.ico", views.favicon, name="favicon"),
]
