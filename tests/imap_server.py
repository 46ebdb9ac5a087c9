"""A real IMAP server for the intake tests: Debian's dovecot on a free port, own config.

Any user name logs in with the password below and gets an empty Maildir, so each test takes
a fresh mailbox by using its own user name. Messages are delivered with IMAP APPEND.
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "segnala-test"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """
instance_name = segnala-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int

    def deliver(self, user: str, message: bytes, folder: str = "INBOX") -> None:
        imap = imaplib.IMAP4(self.host, self.port)
        try:
            imap.login(user, PASSWORD)
            imap.create(folder)
            typ, data = imap.append(folder, None, None, message)
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, user: str, folder: str = "INBOX") -> list[str]:
        """The flags of each message in `folder`, in order (for assertions)."""
        imap = imaplib.IMAP4(self.host, self.port)
        try:
            imap.login(user, PASSWORD)
            typ, data = imap.select(folder)
            if typ != "OK" or data[0] == b"0":
                return []
            typ, data = imap.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if isinstance(item, bytes)]
        finally:
            imap.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accounts() -> dict[str, str]:
    if os.getuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return {
            "internal_user": "dovecot",
            "internal_group": "dovecot",
            "login_user": "dovenull",
            "mail_uid": str(mail.pw_uid),
            "mail_gid": str(mail.pw_gid),
        }
    me = pwd.getpwuid(os.getuid())
    return {
        "internal_user": me.pw_name,
        "internal_group": str(os.getgid()),
        "login_user": me.pw_name,
        "mail_uid": str(me.pw_uid),
        "mail_gid": str(me.pw_gid),
    }


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is missing: make test installs dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="segnala-imap-"))
    root.chmod(0o755)
    accounts = _accounts()
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    os.chown(root / "home", int(accounts["mail_uid"]), int(accounts["mail_gid"]))
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD, **accounts))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = root / "dovecot.log"
                    pytest.fail(f"dovecot did not start: {log.read_text() if log.exists() else ''}")
                time.sleep(0.1)
        yield ImapServer("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
