from django.urls import path

from care import views

urlpatterns = [
    path("rate/<str:token>/", views.rate_page, name="care-rate"),
    path("rate/<str:token>/reopen/", views.reopen_page, name="care-reopen"),
    path("me/<str:token>/", views.reporter_page, name="care-reporter"),
    path("reports/<int:report_id>/qualify/", views.qualify, name="care-qualify"),
]
