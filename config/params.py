"""Query-string values typed by clients."""


def comma_list(raw: str | None) -> list[str]:
    """Split "a, b,,c" into ["a", "b", "c"]: blanks and empty items are dropped."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
