from django.urls import path

from insights import views

urlpatterns = [
    path("office/stats/", views.staff_statistics, name="office-stats"),
    path("office/export/reports.csv", views.staff_export, name="office-export"),
    path("stats/", views.public_statistics, name="stats"),
    path("opendata/issues.csv", views.open_data, {"fmt": "csv"}, name="opendata-csv"),
    path("opendata/issues.geojson", views.open_data, {"fmt": "geojson"}, name="opendata-geojson"),
]
