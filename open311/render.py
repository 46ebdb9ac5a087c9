"""Open311 responses in both formats: JSON as in the spec's examples, XML with its element names.

Views build plain data (dicts, lists, strings, numbers, booleans, None, datetimes); this module
turns it into either format, so the two can never disagree. Errors are the spec's list of
{code, description}, <errors><error> in XML.
"""

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

# Element name of each item of a list, by the list's own name (the spec's XML).
XML_ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
    "notes": "note",
}
# Characters XML 1.0 cannot carry at all, not even escaped; a description may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def w3c(moment: dt.datetime | None) -> str | None:
    """Format a moment as W3C date-time with its offset, in the site's time zone."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def respond(data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """Answer `data` as JSON, or as XML under the element `root` (a list's items by XML_ITEM)."""
    if fmt == "xml":
        element = _element(root, data)
        body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    else:
        body = json.dumps(_jsonable(data), ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """Answer the spec's error list; each description becomes one {code, description}."""
    items = [{"code": str(status), "description": d} for d in descriptions]
    return respond(items, fmt, "errors", status=status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return w3c(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, Mapping):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item = XML_ITEM.get(name, "item")
        for child in value:
            element.append(_element(item, child))
    else:
        element.text = _text(value)
    return element


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c(value)
    return NOT_XML.sub("\ufffd", str(value))


def flatten(messages: Any, prefix: str = "") -> Iterable[str]:
    """Turn DRF's nested error details into "field: message" lines."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = key if key not in ("non_field_errors", "detail") else ""
            yield from flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}[{name}]")
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from flatten(message, prefix)
    else:
        yield f"{prefix}: {messages}" if prefix else str(messages)
