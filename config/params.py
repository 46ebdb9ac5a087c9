"""Query-string values typed by clients."""

from typing import Protocol


class MultiValued(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def comma_list(raw: str | None) -> list[str]:
    """Split "a, b,,c" into ["a", "b", "c"]: blanks and empty items are dropped."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def comma_lists(params: MultiValued, name: str) -> list[str]:
    """Every value of a repeatable comma-list parameter: status=a&status=b,c is [a, b, c].

    (QueryDict.get answers only the last of repeated values, so one was silently dropped.)
    """
    return [item for raw in params.getlist(name) for item in comma_list(raw)]
