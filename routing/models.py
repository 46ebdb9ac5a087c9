import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Department, Depot


class Crew(models.Model):
    """A field team of a department; its route starts and ends at its depot."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="crews")
    name = models.CharField(_("name"), max_length=200)
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="crews")
    shift_start = models.TimeField(_("shift start"), default=dt.time(7, 30))
    shift_end = models.TimeField(_("shift end"), default=dt.time(15, 30))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("crew")
        verbose_name_plural = _("crews")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return self.name
