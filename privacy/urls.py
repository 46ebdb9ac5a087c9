from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.request_page, name="privacy-request"),
    path("privacy/data/<str:token>/", views.data_page, name="privacy-data"),
    path("privacy/data/<str:token>/download/", views.download, name="privacy-download"),
    path("privacy/data/<str:token>/delete/", views.erase, name="privacy-erase"),
]
