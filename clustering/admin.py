from django.contrib import admin

from clustering.models import Separation


@admin.register(Separation)
class SeparationAdmin(admin.ModelAdmin):
    list_display = ["first", "second", "actor", "created_at"]
    raw_id_fields = ["first", "second"]
