"""Celery beat polls the intake mailbox; the next tick is the retry."""

import imaplib
import logging

from celery import shared_task

from inbox.mailbox import MailboxConfig, MailboxError, poll

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_mailbox() -> int:
    """File the mailbox's new messages as drafts; return how many. Off without a host."""
    config = MailboxConfig.from_settings()
    if config is None:
        return 0
    try:
        result = poll(config)
    except (MailboxError, imaplib.IMAP4.error, OSError) as exc:
        # Transient (server down, network) or configuration (login): the next tick tries again.
        logger.warning("inbox: polling %s:%s failed: %s", config.host, config.port, exc)
        return 0
    if result.filed or result.unreadable:
        logger.info(
            "inbox: %d filed, %d already filed, %d receipts, %d unreadable",
            len(result.filed),
            result.already_filed,
            result.receipts,
            result.unreadable,
        )
    return len(result.filed)
