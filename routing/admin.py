from django.contrib import admin

from routing.forms import CrewAdminForm
from routing.models import Crew


@admin.register(Crew)
class CrewAdmin(admin.ModelAdmin):
    form = CrewAdminForm
    list_display = ["name", "department", "depot", "shift_start", "shift_end", "active"]
    list_filter = ["department", "active"]
    filter_horizontal = ["members"]
