"""E-mail and PEC intake against a real dovecot (tests/imap_server.py), drafts in PostGIS.

Transactional tests: the poller marks a message seen only after its draft is committed, which
needs real commits.
"""

import threading
import uuid
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import connection

from backoffice.models import Draft, DraftAttachment
from inbox import mailbox
from inbox.mailbox import MailboxConfig, poll
from inbox.parse import html_to_text
from inbox.tasks import poll_mailbox
from tests.factories import jpeg_bytes
from tests.imap_server import PASSWORD, ImapServer, imap_server  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(imap_server: ImapServer, settings: Any) -> str:  # noqa: F811
    """A fresh mailbox on the test server, configured as the intake mailbox."""
    name = f"urp-{uuid.uuid4().hex[:10]}"
    settings.INBOX_IMAP_HOST = imap_server.host
    settings.INBOX_IMAP_PORT = imap_server.port
    settings.INBOX_IMAP_SSL = False
    settings.INBOX_IMAP_USER = name
    settings.INBOX_IMAP_PASSWORD = PASSWORD
    settings.INBOX_IMAP_FOLDER = "INBOX"
    settings.INBOX_PROCESSED_FOLDER = ""
    settings.LANGUAGE_CODE = "en"
    return name


def config() -> MailboxConfig:
    found = MailboxConfig.from_settings()
    assert found is not None
    return found


def message(
    subject: str = "Buca in via Roma",
    text: str | None = "C'è una buca profonda davanti al civico 12.",
    html: str | None = None,
    sender: str = "Mario Rossi <mario.rossi@example.org>",
    message_id: str | None = None,
    photos: list[tuple[str, bytes]] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "urp@comune.example.it"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.org>"
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, content in photos or []:
        msg.add_attachment(content, maintype="image", subtype="jpeg", filename=filename)
    return msg


def test_a_plain_message_with_a_photo_becomes_a_draft_and_is_marked_seen_after(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    photo = jpeg_bytes()
    imap_server.deliver(user, message(photos=[("buca.jpg", photo)]).as_bytes())

    assert poll_mailbox() == 1

    draft = Draft.objects.get()
    assert draft.channel == Draft.Channel.EMAIL
    assert draft.subject == "Buca in via Roma"
    assert draft.text == "C'è una buca profonda davanti al civico 12."
    assert (draft.sender_name, draft.sender_email) == ("Mario Rossi", "mario.rossi@example.org")
    attachment = draft.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("buca.jpg", "image/jpeg")
    with attachment.file.open("rb") as stored:
        assert stored.read() == photo
    assert "\\Seen" in imap_server.flags(user)[0]


def test_an_html_message_is_reduced_to_inert_text(imap_server: ImapServer, user: str) -> None:  # noqa: F811
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body>"
        "<p>Lampione <b>spento</b> &amp; pericoloso</p><script>alert('x')</script>"
        '<p><a href="javascript:alert(1)" onclick="steal()">via Verdi</a></p></body></html>'
    )
    imap_server.deliver(user, message(text=None, html=html).as_bytes())

    poll_mailbox()

    text = Draft.objects.get().text
    assert text == "Lampione spento & pericoloso\n\nvia Verdi"
    assert "<" not in text and "alert" not in text and "steal" not in text


def test_html_to_text_prefers_nothing_executable() -> None:
    assert html_to_text("<div>a<br>b</div><noscript>no</noscript><img src=x onerror=y>") == "a\nb"


def test_the_same_message_delivered_twice_makes_one_draft(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    raw = message(message_id="<same-1@example.org>").as_bytes()
    imap_server.deliver(user, raw)
    imap_server.deliver(user, raw)

    result = poll(config())
    again = poll(config())

    assert Draft.objects.count() == 1
    assert (len(result.filed), result.already_filed) == (1, 1)
    assert (again.filed, again.already_filed) == ([], 0)  # both seen: nothing left to read
    assert all("\\Seen" in flags for flags in imap_server.flags(user))


def test_a_poll_that_dies_before_marking_leaves_the_message_unseen_and_is_not_refiled(
    imap_server: ImapServer,  # noqa: F811
    user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_server.deliver(user, message().as_bytes())

    def die(*args: Any) -> None:
        raise ConnectionResetError("the worker died here")

    with monkeypatch.context() as patch:
        patch.setattr(mailbox, "_done", die)
        with pytest.raises(ConnectionResetError):
            poll(config())
    assert Draft.objects.count() == 1  # committed before the marking
    assert "\\Seen" not in imap_server.flags(user)[0]

    result = poll(config())

    assert (result.filed, result.already_filed) == ([], 1)
    assert Draft.objects.count() == 1
    assert "\\Seen" in imap_server.flags(user)[0]


def test_two_pollers_at_once_file_each_message_once(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    for n in range(6):
        imap_server.deliver(user, message(subject=f"Segnalazione {n}").as_bytes())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            poll(config())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(Draft.objects.values_list("subject", flat=True)) == [
        f"Segnalazione {n}" for n in range(6)
    ]
    assert DraftAttachment.objects.count() == 0


def test_a_malformed_message_still_files_what_can_be_read(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    raw = (
        b"From: not an address\r\n"
        b"Subject: =?utf-8?q?Albero_caduto?=\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n'
        b"\r\n"
        b"--XX\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n"
        b"\r\n"
        b"Un albero blocca la strada.\r\n"
        b"--XX\r\n"
        b"Content-Type: image/jpeg\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd.jpg"\r\n'
        b"\r\n"
        b"!!!not base64 at all\r\n"
    )  # no Message-ID, no closing boundary
    imap_server.deliver(user, raw)

    assert poll_mailbox() == 1

    draft = Draft.objects.get()
    assert draft.subject == "Albero caduto"
    assert "Un albero blocca la strada." in draft.text
    assert (draft.sender_name, draft.sender_email) == ("", "")
    assert draft.message_id.startswith("<sha256-")
    for attachment in draft.attachments.all():
        assert "/" not in attachment.filename
    assert poll_mailbox() == 0  # seen, and its digest would find the draft anyway


def test_a_message_with_nothing_in_it_is_flagged_and_the_next_one_still_filed(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    imap_server.deliver(user, b"X-Nothing: here\r\n\r\n\r\n")
    imap_server.deliver(user, message(subject="Dopo").as_bytes())

    result = poll(config())

    assert result.unreadable == 1
    assert list(Draft.objects.values_list("subject", flat=True)) == ["Dopo"]
    first, second = imap_server.flags(user)
    assert "\\Flagged" in first and "\\Seen" in first
    assert "\\Flagged" not in second


def test_a_huge_attachment_is_not_kept_and_the_draft_says_so(
    imap_server: ImapServer,  # noqa: F811
    user: str,
    settings: Any,
) -> None:
    settings.INBOX_ATTACHMENT_MAX_BYTES = 50_000
    small = jpeg_bytes((200, 150))
    huge = jpeg_bytes((1200, 900)) + b"\0" * 200_000
    imap_server.deliver(
        user, message(photos=[("piccola.jpg", small), ("enorme.jpg", huge)]).as_bytes()
    )

    poll_mailbox()

    draft = Draft.objects.get()
    assert list(draft.attachments.values_list("filename", flat=True)) == ["piccola.jpg"]
    assert "enorme.jpg not kept" in draft.text and "over the limit" in draft.text


def test_a_message_over_the_size_limit_is_filed_from_its_headers(
    imap_server: ImapServer,  # noqa: F811
    user: str,
    settings: Any,
) -> None:
    settings.INBOX_MESSAGE_MAX_BYTES = 100_000
    imap_server.deliver(user, message(photos=[("grande.jpg", b"\xff" * 300_000)]).as_bytes())

    poll_mailbox()

    draft = Draft.objects.get()
    assert draft.subject == "Buca in via Roma"
    assert draft.sender_email == "mario.rossi@example.org"
    assert "too big to read here" in draft.text
    assert not draft.attachments.exists()


def pec_envelope(inner: EmailMessage, receipt: str | None = None) -> bytes:
    """An envelope as Italian PEC providers send it: signed, with postacert.eml inside."""
    body = EmailMessage()
    body.set_content(
        'Il giorno 23/11/2026 alle ore 09:12 il messaggio "Buca in via Roma" è stato inviato '
        'da "mario.rossi@pec.example.it" e indirizzato a: urp@pec.comune.example.it'
    )
    body.add_alternative("<p>Messaggio di posta certificata</p>", subtype="html")
    mixed = EmailMessage()
    mixed.make_mixed()
    mixed.attach(body)
    mixed.add_attachment(
        b"<postacert tipo='posta-certificata'><mittente>mario.rossi@pec.example.it</mittente>"
        b"</postacert>",
        maintype="application",
        subtype="xml",
        filename="daticert.xml",
    )
    mixed.add_attachment(inner, filename="postacert.eml")
    signed = EmailMessage()
    signed["From"] = "Per conto di: mario.rossi@pec.example.it <posta-certificata@pec.example.it>"
    signed["Reply-To"] = "mario.rossi@pec.example.it"
    signed["To"] = "urp@pec.comune.example.it"
    signed["Subject"] = "POSTA CERTIFICATA: Buca in via Roma"
    signed["Message-ID"] = f"<opec-{uuid.uuid4().hex}@pec.example.it>"
    signed["X-Trasporto"] = "posta-certificata"
    if receipt:
        signed["X-Ricevuta"] = receipt
    signed.make_mixed()
    signed.set_type("multipart/signed")
    signed.set_param("protocol", "application/pkcs7-signature")
    signed.attach(mixed)
    signature = EmailMessage()
    signature.set_content(
        b"0\x82\x01", maintype="application", subtype="pkcs7-signature", filename="smime.p7s"
    )
    signed.attach(signature)
    return signed.as_bytes()


def test_a_pec_is_read_from_the_message_inside_its_envelope(
    imap_server: ImapServer,  # noqa: F811
    user: str,
) -> None:
    photo = jpeg_bytes((320, 240))
    inner = message(
        subject="Buca in via Roma",
        text="Segnalo una buca pericolosa all'incrocio.",
        sender="Mario Rossi <mario.rossi@pec.example.it>",
        photos=[("incrocio.jpg", photo)],
    )
    imap_server.deliver(user, pec_envelope(inner))

    poll_mailbox()

    draft = Draft.objects.get()
    assert draft.channel == Draft.Channel.PEC
    assert draft.subject == "Buca in via Roma"
    assert draft.text == "Segnalo una buca pericolosa all'incrocio."
    assert (draft.sender_name, draft.sender_email) == ("Mario Rossi", "mario.rossi@pec.example.it")
    assert list(draft.attachments.values_list("filename", flat=True)) == ["incrocio.jpg"]
    assert draft.message_id.startswith("<opec-")


def test_a_pec_receipt_is_not_a_report(imap_server: ImapServer, user: str) -> None:  # noqa: F811
    imap_server.deliver(user, pec_envelope(message(), receipt="avvenuta-consegna"))

    result = poll(config())

    assert result.receipts == 1
    assert not Draft.objects.exists()
    assert "\\Seen" in imap_server.flags(user)[0]


def test_filed_messages_move_to_the_processed_folder(
    imap_server: ImapServer,  # noqa: F811
    user: str,
    settings: Any,
) -> None:
    settings.INBOX_PROCESSED_FOLDER = "Segnala filed"
    imap_server.deliver(user, message().as_bytes())

    poll_mailbox()

    assert Draft.objects.count() == 1
    assert imap_server.flags(user) == []
    assert len(imap_server.flags(user, '"Segnala filed"')) == 1


def test_intake_is_off_without_a_host(settings: Any) -> None:
    settings.INBOX_IMAP_HOST = ""

    assert MailboxConfig.from_settings() is None
    assert poll_mailbox() == 0


def test_a_wrong_password_is_logged_not_raised(
    user: str,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.INBOX_IMAP_PASSWORD = "wrong"

    assert poll_mailbox() == 0
    assert "polling" in caplog.text and "wrong" not in caplog.text
