from django.urls import path

from routing import api

urlpatterns = [
    path(
        "departments/<int:pk>/routes/plan",
        api.DepartmentRoutePlanView.as_view(),
        name="api-routes-plan",
    ),
    path("departments/<int:pk>/routes/", api.DepartmentRoutesView.as_view(), name="api-routes"),
    path("routes/<int:pk>.gpx", api.RouteGpxView.as_view(), name="api-route-gpx"),
]
