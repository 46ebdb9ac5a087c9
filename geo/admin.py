from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from leaflet.admin import LeafletGeoAdmin

from geo.importer import subdivide_boundary
from geo.models import Area, Department, Depot, ExternalBody, Municipality
from geo.querysets import admin_map_settings


class TerritoryMapAdmin(LeafletGeoAdmin):
    """An admin whose empty maps open on the municipality (or MAP_CENTER), not at a fixed place."""

    @property
    def settings_overrides(self) -> dict[str, Any]:  # type: ignore[override]
        # Read by django-leaflet each time it builds a form's map widget.
        return admin_map_settings()


@admin.register(Municipality)
class MunicipalityAdmin(TerritoryMapAdmin):
    list_display = ["name", "istat_code"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        subdivide_boundary(obj)


@admin.register(Area)
class AreaAdmin(TerritoryMapAdmin):
    list_display = ["name", "code", "municipality"]
    search_fields = ["name", "code"]


class DepotInline(admin.TabularInline):
    model = Depot
    extra = 0
    fields = ["name", "address"]
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "emergency_contact_name", "contractor"]
    search_fields = ["name", "code"]
    filter_horizontal = ["areas"]
    inlines = [DepotInline]
    actions = ["plan_todays_routes"]

    @admin.action(description=_("Plan today's crew routes"))
    def plan_todays_routes(self, request: HttpRequest, queryset: QuerySet[Department]) -> None:
        # Imported here: the admin of the territory should not load the solver stack at start.
        from routing.planning import PlanningRefused, plan_routes

        now = timezone.localtime()
        for department in queryset:
            try:
                plan = plan_routes(department, now.date(), now=now)
            except PlanningRefused as exc:
                self.message_user(request, f"{department}: {exc}", messages.WARNING)
                continue
            self.message_user(
                request,
                _("%(department)s: %(routes)s routes planned, %(left)s issues left for later.")
                % {
                    "department": department,
                    "routes": plan.routes.count(),
                    "left": plan.left_out.count(),
                },
            )


@admin.register(Depot)
class DepotAdmin(TerritoryMapAdmin):
    list_display = ["name", "department", "address"]
    list_filter = ["department"]


@admin.register(ExternalBody)
class ExternalBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "email", "phone", "response_days"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
