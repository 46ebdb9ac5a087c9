from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OpenDataRelease(models.Model):
    """One day's open-data files in default storage; the newest row is the published one.

    The files are written under new names first and this row is inserted last, so a reader
    always gets a complete pair, on a filesystem or on S3 alike.
    """

    created_at = models.DateTimeField(_("published"), default=timezone.now, db_index=True)
    csv_name = models.CharField(max_length=300)
    geojson_name = models.CharField(max_length=300)
    issue_count = models.PositiveIntegerField(default=0)
    licence = models.CharField(_("licence"), max_length=60)

    class Meta:
        verbose_name = _("open-data release")
        verbose_name_plural = _("open-data releases")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"open data {self.created_at:%Y-%m-%d %H:%M}"
