"""Read an e-mail or PEC message into what a draft needs: pure functions, no database.

A PEC (posta elettronica certificata) is an ordinary MIME message whose provider wraps the
sender's message as the attachment `postacert.eml` in a signed envelope (DPR 68/2005, DM
2/11/2005): the envelope says who certified it; the inner message says what the citizen wrote.
Receipts (accettazione, consegna...) carry an `X-Ricevuta` header and are not reports.
"""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

TEXT_MAX_CHARS = 20_000
SUBJECT_MAX_CHARS = 300
MESSAGE_ID_MAX_CHARS = 300
FILENAME_MAX_CHARS = 200
NAME_MAX_CHARS = 200
PEC_INNER_NAME = "postacert.eml"
# What an operator can turn into a report's photo (reports.photos decodes these).
IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/pjpeg", "image/png", "image/heic", "image/heif", "image/webp"}
)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp"})
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Unreadable(Exception):
    """The message holds nothing a person could act on (no subject, text or photo)."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Skipped:
    """An attachment not kept: why, in words for the draft's reader."""

    filename: str
    size_bytes: int
    reason: str  # "too_big" or "not_an_image"


@dataclass
class ParsedMessage:
    message_id: str
    is_pec: bool
    is_receipt: bool
    subject: str
    text: str
    sender_name: str
    sender_email: str
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def parse_message(raw: bytes, *, attachment_max_bytes: int) -> ParsedMessage:
    """Read a raw RFC 5322 message (bytes as fetched over IMAP) into a ParsedMessage.

    The Message-ID comes from the outer message (the mailbox's copy); a message without one
    gets a digest of its bytes, so the same bytes are never filed twice. Raises Unreadable
    when there is nothing to file.
    """
    outer = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = _message_id(outer, raw)
    is_receipt = bool(outer.get("X-Ricevuta"))
    inner = _pec_inner(outer)
    body = inner or outer
    name, address = _sender(body)
    if inner is not None and not address:
        # The envelope's Reply-To is the certified sender when the inner From is unusable.
        name, address = _sender(outer, "Reply-To")
    subject = _clean_line(str(body.get("Subject", "") or ""))[:SUBJECT_MAX_CHARS]
    text = _body_text(body)[:TEXT_MAX_CHARS]
    attachments, skipped = _attachments(body, attachment_max_bytes)
    parsed = ParsedMessage(
        message_id=message_id,
        is_pec=inner is not None or bool(outer.get("X-Trasporto")),
        is_receipt=is_receipt,
        subject=subject,
        text=text,
        sender_name=name,
        sender_email=address,
        attachments=attachments,
        skipped=skipped,
    )
    if not (is_receipt or subject or text.strip() or attachments or skipped):
        raise Unreadable(message_id)
    return parsed


def _message_id(message: Message, raw: bytes) -> str:
    try:
        found = _clean_line(str(message.get("Message-ID", "") or ""))
    except (ValueError, TypeError):  # a header the parser cannot even decode
        found = ""
    if not found or len(found) > MESSAGE_ID_MAX_CHARS:
        # Deterministic, so a retry of the same bytes finds the first draft.
        basis = found.encode() if found else raw
        return f"<sha256-{hashlib.sha256(basis).hexdigest()}@segnala>"
    return found


def _pec_inner(outer: Message) -> Message | None:
    for part in outer.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        if (part.get_filename() or "").lower() != PEC_INNER_NAME:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
    return None


def _sender(message: Message, header: str = "From") -> tuple[str, str]:
    try:
        pairs = getaddresses([str(v) for v in message.get_all(header, [])])
    except (ValueError, TypeError, IndexError):
        return "", ""
    for name, address in pairs:
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            continue
        return _clean_line(name)[:NAME_MAX_CHARS], address.lower()
    return "", ""


def _body_text(message: Message) -> str:
    if isinstance(message, EmailMessage):
        try:
            part = message.get_body(preferencelist=("plain", "html"))
        except (KeyError, IndexError):
            part = None
    else:
        part = None
    if part is None:
        return ""
    content = _decoded_text(part)
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return _clean_text(content)


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return bytes(payload).decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return bytes(payload).decode("utf-8", errors="replace")


def _attachments(message: Message, max_bytes: int) -> tuple[list[Attachment], list[Skipped]]:
    kept: list[Attachment] = []
    skipped: list[Skipped] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        filename = _safe_filename(part.get_filename() or "")
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename:
            continue  # the body itself, or an unnamed inline part
        content_type = part.get_content_type()
        content = part.get_payload(decode=True) or b""
        if not _is_image(content_type, filename):
            skipped.append(Skipped(filename, len(content), "not_an_image"))
        elif len(content) > max_bytes:
            skipped.append(Skipped(filename, len(content), "too_big"))
        elif content:
            kept.append(Attachment(filename, content_type, bytes(content)))
    return kept, skipped


def _is_image(content_type: str, filename: str) -> bool:
    return content_type in IMAGE_TYPES or PurePosixPath(filename).suffix.lower() in (IMAGE_SUFFIXES)


def _safe_filename(raw: str) -> str:
    name = PurePosixPath(raw.replace("\\", "/")).name
    return _clean_line(name)[:FILENAME_MAX_CHARS]


def _clean_line(value: str) -> str:
    return " ".join(CONTROL_CHARS.sub(" ", value).split())


def _clean_text(value: str) -> str:
    lines = [" ".join(line.split()) for line in CONTROL_CHARS.sub(" ", value).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _TextOfHtml(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Reduce HTML to its visible text: no tags, scripts, styles or links survive."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return _clean_text("".join(parser.parts))
