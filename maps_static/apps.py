from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsStaticConfig(AppConfig):
    name = "maps_static"
    verbose_name = _("Maps")
