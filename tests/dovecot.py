"""A real Dovecot IMAP server for tests, with its own configuration in a temporary folder.

One server runs per test session; each test gets its own mail user (and so
its own empty mailbox) through the ``dovecot`` fixture.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

DOVECOT = "/usr/sbin/dovecot"

CONFIG = """\
instance_name = focalbot-test-{port}
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
{plaintext}
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited with {proc.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not accept connections on port {port}: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


@dataclass
class DovecotServer:
    root: Path
    port: int
    proc: subprocess.Popen
    uid: int
    gid: int
    host: str = "127.0.0.1"

    def add_user(self, user: str, password: str) -> None:
        home = self.root / "home" / user
        home.mkdir(parents=True)
        os.chown(home, self.uid, self.gid)
        # One passwd-file per user, so that a new user needs no reload of a shared file.
        (self.root / "users" / user).write_text(
            f"{user}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}::\n"
        )

    def kick(self, user: str) -> str:
        """Close every IMAP connection of ``user`` (``doveadm kick``); doveadm's answer."""
        out = subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), "kick", user],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return (out.stdout + out.stderr).strip()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@dataclass
class Mailbox:
    """One user's mailbox on the test server."""

    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def list_folder(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in ``folder``, in UID order (empty when the folder does not exist)."""
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search(["ALL"]))
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(data[uid][b"BODY[]"]) for uid in uids]
        finally:
            client.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()


def start_server() -> DovecotServer:
    """Start a Dovecot server with its own configuration in a new temporary folder."""
    if not os.path.exists(DOVECOT):
        raise RuntimeError(
            f"{DOVECOT} is missing: `make test` installs dovecot-imapd, which the IMAP tests need"
        )
    major, minor = _version()
    if (major, minor) >= (2, 4):
        plaintext = "auth_allow_cleartext = yes"
    else:
        plaintext = "disable_plaintext_auth = no"
    nobody = pwd.getpwnam("nobody")
    root = Path(tempfile.mkdtemp(prefix="focalbot-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    (root / "home").chmod(0o755)
    (root / "users").mkdir()
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, plaintext=plaintext))
    log = root / "dovecot.log"
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = DovecotServer(root, port, proc, nobody.pw_uid, nobody.pw_gid)
    try:
        _wait_for_port(port, proc, log)
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def dovecot_server():
    try:
        server = start_server()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


_users = itertools.count(1)


@pytest.fixture
def dovecot(dovecot_server) -> Mailbox:
    """A fresh, empty mailbox on the session's Dovecot server."""
    user = f"user{next(_users)}"
    password = f"pw-{user}-secret"
    dovecot_server.add_user(user, password)
    return Mailbox(dovecot_server.host, dovecot_server.port, user, password)
