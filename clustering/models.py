from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import Issue


class Separation(models.Model):
    """Two issues an operator split apart: automatic re-clustering never merges them again."""

    first = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("separation")
        verbose_name_plural = _("separations")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="separation_once"),
            # Stored with first < second so that one row answers both orders.
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="separation_ordered"),
        ]

    def __str__(self) -> str:
        return f"#{self.first_id} / #{self.second_id}"
