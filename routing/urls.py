from django.urls import path

from routing import views

urlpatterns = [
    path("crew/", views.crew_home, name="crew-home"),
    path(
        "departments/<int:pk>/routes/plan/",
        views.plan_department,
        name="crew-plan-department",
    ),
    path("crew/routes/<int:pk>/", views.route_page, name="crew-route"),
    path("crew/routes/<int:pk>/sheet/", views.route_sheet, name="crew-route-sheet"),
    path(
        "crew/stops/<int:pk>/<str:action>/",
        views.stop_action,
        name="crew-stop-action",
    ),
]
