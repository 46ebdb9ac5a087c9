import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.db_router import public_reads  # noqa: E402 (needs the settings above)

# Marks public reads for the read-replica router; does nothing without a replica.
application: Any = public_reads(django_application)
