"""Poll an IMAP mailbox (e-mail or PEC) and file each new message as a draft.

A message is marked seen (and moved, when a processed folder is set) only after its draft is
committed: a poll that dies half-way leaves the rest unseen, and the next poll finds the drafts
it already made by Message-ID and only marks those messages.
"""

import contextlib
import imaplib
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from inbox.actions import file_message
from inbox.parse import Skipped, Unreadable, parse_message

logger = logging.getLogger(__name__)

SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    ssl: bool
    user: str
    password: str
    folder: str = "INBOX"
    processed_folder: str = ""
    timeout_s: float = 30.0

    @classmethod
    def from_settings(cls) -> "MailboxConfig | None":
        """The configured mailbox, or None when intake is off (no INBOX_IMAP_HOST)."""
        if not settings.INBOX_IMAP_HOST:
            return None
        return cls(
            host=settings.INBOX_IMAP_HOST,
            port=settings.INBOX_IMAP_PORT,
            ssl=settings.INBOX_IMAP_SSL,
            user=settings.INBOX_IMAP_USER,
            password=settings.INBOX_IMAP_PASSWORD,
            folder=settings.INBOX_IMAP_FOLDER,
            processed_folder=settings.INBOX_PROCESSED_FOLDER,
            timeout_s=settings.INBOX_IMAP_TIMEOUT_S,
        )


@dataclass
class PollResult:
    filed: list[int] = field(default_factory=list)  # draft ids
    already_filed: int = 0
    receipts: int = 0
    unreadable: int = 0


class MailboxError(Exception):
    """The server refused a command (login, select...): logged, retried at the next poll."""


def poll(config: MailboxConfig) -> PollResult:
    """File every unseen message of the configured folder; return what happened."""
    result = PollResult()
    imap = _connect(config)
    try:
        _ok(imap.login(config.user, config.password), "login")
        _ok(imap.select(_quote(config.folder)), "select")
        if config.processed_folder:
            imap.create(_quote(config.processed_folder))  # "already exists" is fine
        typ, data = imap.uid("SEARCH", "UNSEEN")
        _ok((typ, data), "search")
        for uid in (data[0] or b"").split():
            _file_one(imap, uid.decode(), config, result)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    return result


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    if config.ssl:
        return imaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout_s)
    return imaplib.IMAP4(config.host, config.port, timeout=config.timeout_s)


def _file_one(imap: imaplib.IMAP4, uid: str, config: MailboxConfig, result: PollResult) -> None:
    raw, too_big = _fetch(imap, uid)
    try:
        parsed = parse_message(raw, attachment_max_bytes=settings.INBOX_ATTACHMENT_MAX_BYTES)
    except Unreadable:
        # Flagged and left in place, so a person can look at it in the mailbox.
        logger.warning("inbox: message uid %s has nothing to file; flagged", uid)
        _store(imap, uid, r"(\Seen \Flagged)")
        result.unreadable += 1
        return
    if too_big:
        parsed.skipped.append(Skipped("", too_big, "message_too_big"))
    if parsed.is_receipt:
        result.receipts += 1
        _done(imap, uid, config)
        return
    draft = file_message(parsed, language=settings.LANGUAGE_CODE)
    if draft is None:
        result.already_filed += 1
    else:
        result.filed.append(draft.pk)
    # In autocommit this runs at once; inside a caller's transaction, after its commit.
    transaction.on_commit(lambda: _done(imap, uid, config))


def _fetch(imap: imaplib.IMAP4, uid: str) -> tuple[bytes, int]:
    """Return the message's bytes without marking it seen; only its header when too big."""
    typ, data = imap.uid("FETCH", uid, "(RFC822.SIZE)")
    _ok((typ, data), "fetch size")
    found = SIZE.search(data[0] if isinstance(data[0], bytes) else b"")
    size = int(found.group(1)) if found else 0
    too_big = size > settings.INBOX_MESSAGE_MAX_BYTES
    section = "BODY.PEEK[HEADER]" if too_big else "BODY.PEEK[]"
    typ, data = imap.uid("FETCH", uid, f"({section})")
    _ok((typ, data), "fetch")
    raw = b"".join(item[1] for item in data if isinstance(item, tuple))
    return raw, size if too_big else 0


def _done(imap: imaplib.IMAP4, uid: str, config: MailboxConfig) -> None:
    _store(imap, uid, r"(\Seen)")
    if not config.processed_folder:
        return
    target = _quote(config.processed_folder)
    if "MOVE" in imap.capabilities:
        _ok(imap.uid("MOVE", uid, target), "move")
    else:
        _ok(imap.uid("COPY", uid, target), "copy")
        _store(imap, uid, r"(\Deleted)")
        _ok(imap.expunge(), "expunge")


def _store(imap: imaplib.IMAP4, uid: str, flags: str) -> None:
    _ok(imap.uid("STORE", uid, "+FLAGS", flags), "store")


def _ok(answer: tuple[str, list], what: str) -> None:  # type: ignore[type-arg]
    typ, data = answer
    if typ != "OK":
        raise MailboxError(f"IMAP {what} refused: {data!r}")


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
