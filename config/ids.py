"""Database ids typed by people or sent by clients."""

import re

# ASCII digits that fit a bigint: str.isdigit() also takes "²", which int() refuses.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(raw: str | None) -> int | None:
    """Return the id `raw` spells, or None when it is not one (unknown, never a 500)."""
    if raw is None:
        return None
    raw = raw.strip()
    return int(raw) if _ID.fullmatch(raw) else None
