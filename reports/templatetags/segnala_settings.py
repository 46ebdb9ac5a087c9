"""Settings for templates rendered without context processors (500.html gets an empty Context)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def municipality_name() -> str:
    return str(settings.MUNICIPALITY_NAME)


@register.simple_tag
def emergency_number() -> str:
    return str(settings.EMERGENCY_NUMBER)
