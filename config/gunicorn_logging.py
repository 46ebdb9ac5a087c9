"""Gunicorn's logger with Segnala's masking: access lines carry paths and Referers.

A path such as /t/K7QM-2XPA/ or /privacy/data/<token>/ is a bearer secret, and Django's
logging filter never sees gunicorn's access log. bin/serve runs gunicorn with
`--logger-class config.gunicorn_logging.MaskedLogger`.
"""

from typing import Any

from gunicorn.glogging import Logger

from privacy.logging import MaskPersonalData


class MaskedLogger(Logger):
    """Gunicorn's own logger, its access and error logs masked by privacy.logging."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # On the loggers, for every handler; on gunicorn's own handlers too, as on Django's.
        for log in (self.access_log, self.error_log):
            for target in (log, *log.handlers):
                if not any(isinstance(f, MaskPersonalData) for f in target.filters):
                    target.addFilter(MaskPersonalData())
