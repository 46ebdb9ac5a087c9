from typing import Any

from django.conf import settings
from django.http import HttpRequest


def segnala(request: HttpRequest) -> dict[str, Any]:
    """Settings every page needs: the municipality's name, the emergency number, tiles."""
    return {
        "MUNICIPALITY_NAME": settings.MUNICIPALITY_NAME,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "TILE_URL": settings.TILE_URL,
        "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
    }
