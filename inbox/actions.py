"""Turn a parsed message into a back-office draft, exactly once per Message-ID; drop its
attachments once the draft is done with (filed, set aside, erased)."""

import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from backoffice.models import Draft, DraftAttachment, private_storage
from inbox.parse import ParsedMessage, Skipped

logger = logging.getLogger(__name__)


def file_message(parsed: ParsedMessage, *, language: str) -> Draft | None:
    """Create the draft and its attachments in one transaction; return it.

    Returns None when a draft with this Message-ID already exists (a duplicate, another
    poller, or a poll that died before marking the message seen). The unique index on
    Draft.message_id decides: the insert comes first, so a second poller waits on it and
    then fails before writing any file.
    """
    if Draft.objects.filter(message_id=parsed.message_id).exists():
        return None
    channel = Draft.Channel.PEC if parsed.is_pec else Draft.Channel.EMAIL
    with translation.override(language):
        text = _with_notes(parsed.text, parsed.skipped)
    try:
        with transaction.atomic():
            draft = Draft.objects.create(
                channel=channel,
                subject=parsed.subject,
                text=text[: Draft._meta.get_field("text").max_length],
                sender_name=parsed.sender_name,
                sender_email=parsed.sender_email,
                message_id=parsed.message_id,
            )
            for attachment in parsed.attachments:
                row = DraftAttachment(
                    draft=draft,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size_bytes=len(attachment.content),
                )
                row.file.save(attachment.filename or "attachment", ContentFile(attachment.content))
    except IntegrityError:
        return None
    # No sender, subject or text in the log: personal data stays in the draft.
    logger.info("draft %s filed from %s (%d photos)", draft.pk, channel, len(parsed.attachments))
    return draft


def drop_attachments(drafts: QuerySet[Draft]) -> int:
    """Delete the drafts' attachments: the rows now, their files once the transaction commits.

    The sender's original bytes (EXIF position included) are kept only while an operator may
    still file the draft; the photos filed with it are the report's own, cleaned copies.
    Return how many were dropped.
    """
    rows = DraftAttachment.objects.filter(draft__in=drafts)
    names = [name for name in rows.values_list("file", flat=True) if name]
    dropped, _by_model = rows.delete()
    storage = private_storage()

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files, robust=True)
    return dropped


def _with_notes(text: str, skipped: list[Skipped]) -> str:
    notes = []
    for item in skipped:
        name = item.filename or _("unnamed")
        if item.reason == "message_too_big":
            notes.append(
                _("[The message (%(size)s) was too big to read here: open it in the mailbox.]")
                % {"size": filesizeformat(item.size_bytes)}
            )
        elif item.reason == "too_big":
            notes.append(
                _("[Attachment %(name)s not kept: %(size)s is over the limit.]")
                % {"name": name, "size": filesizeformat(item.size_bytes)}
            )
        else:
            notes.append(_("[Attachment %(name)s not kept: not a photo.]") % {"name": name})
    return "\n\n".join(part for part in [text, "\n".join(notes)] if part)
