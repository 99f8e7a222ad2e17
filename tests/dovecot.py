"""A real Dovecot IMAP server for tests, with its own configuration in a temporary folder.

One server runs per test session; each test gets its own mail user (and so
its own empty mailbox) through the ``dovecot`` fixture.

``start_dovecot`` takes options for other servers of the session: ``tls`` (a test CA's
certificate: STARTTLS on the IMAP port and implicit TLS on an imaps port) and
``oauth2_introspection_url`` (an ``oauth2`` passdb for XOAUTH2 and OAUTHBEARER that asks
that RFC 7662 endpoint whether a token is active, next to the passwords for PLAIN and
LOGIN). The ``dovecot_tls`` and ``dovecot_oauth`` fixtures give a mailbox on such servers.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import secretlog
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
{ssl}
{plaintext}
auth_mechanisms = plain login{mechanisms}
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
{oauth2_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u{password_mechanisms}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
# no auth penalty: a test's refused log-in must not delay the next tests' log-ins (up to 15 s)
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    # 127.0.0.2 too: a name the test certificate does not carry, for the host name check
    address = 127.0.0.1 127.0.0.2
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


TLS = """\
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2"""

OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""

# Dovecot 2.3's oauth2 passdb: POST the token to the introspection endpoint, take the
# user name from its answer (it must be the one logging in), and require "active": true.
OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
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
    imaps_port: int = 0  # 0: no implicit TLS listener

    def log(self) -> str:
        return _tail(self.root / "dovecot.log")

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
    imaps_port: int = 0

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


def start_dovecot(
    *, tls=None, oauth2_introspection_url: str | None = None, extra_config: str = ""
) -> DovecotServer:
    """Start a Dovecot of its own; ``tls`` is a tests.tlsca.TestCA. Stop it with ``stop()``
    (and remove ``root``)."""
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
    imaps_port = free_port() if tls is not None else 0
    oauth2 = oauth2_introspection_url is not None
    if oauth2:
        (root / "dovecot-oauth2.conf.ext").write_text(
            OAUTH2_CONF.format(url=oauth2_introspection_url)
        )
    conf = root / "dovecot.conf"
    conf.write_text(
        CONFIG.format(
            root=root,
            port=port,
            imaps_port=imaps_port,
            plaintext=plaintext,
            ssl=TLS.format(cert=tls.cert_file, key=tls.key_file) if tls is not None else "ssl = no",
            mechanisms=" xoauth2 oauthbearer" if oauth2 else "",
            oauth2_passdb=OAUTH2_PASSDB.format(root=root) if oauth2 else "",
            password_mechanisms="\n  mechanisms = plain login" if oauth2 else "",
        )
        + extra_config
    )
    log = root / "dovecot.log"
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = DovecotServer(root, port, proc, nobody.pw_uid, nobody.pw_gid, imaps_port=imaps_port)
    try:
        _wait_for_port(port, proc, log)
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@contextmanager
def running_server(extra_config: str = "", **options) -> Iterator[DovecotServer]:
    """A Dovecot server of its own, with ``extra_config`` lines added to the configuration."""
    with _running(extra_config=extra_config, **options) as server:
        yield server


@contextmanager
def _running(**options):
    try:
        server = start_dovecot(**options)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server():
    with _running() as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_tls_server(test_ca):
    """A Dovecot with the test CA's certificate: STARTTLS on ``port``, TLS on ``imaps_port``."""
    with _running(tls=test_ca) as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_oauth_server(oauth_provider):
    """A Dovecot whose XOAUTH2 log-ins are checked by the test OAuth provider's introspection
    endpoint (tests/oauth.py)."""
    with _running(oauth2_introspection_url=oauth_provider.introspection_url) as server:
        yield server


def start_server() -> DovecotServer:
    """Start a Dovecot server with its own configuration in a new temporary folder (for
    the benchmarks, outside pytest)."""
    return start_dovecot()


_users = itertools.count(1)


def new_mailbox(server: DovecotServer) -> Mailbox:
    """A fresh, empty mailbox (a new user) on ``server``."""
    user = f"user{next(_users)}"
    password = f"pw-{user}-secret"
    secretlog.register(password)
    server.add_user(user, password)
    return Mailbox(server.host, server.port, user, password, imaps_port=server.imaps_port)


@pytest.fixture
def dovecot(dovecot_server) -> Mailbox:
    """A fresh, empty mailbox on the session's Dovecot server."""
    return new_mailbox(dovecot_server)


@pytest.fixture
def dovecot_tls(dovecot_tls_server) -> Mailbox:
    """A fresh mailbox on the Dovecot that speaks TLS with the test CA's certificate."""
    return new_mailbox(dovecot_tls_server)


@pytest.fixture
def dovecot_oauth(dovecot_oauth_server, oauth) -> Mailbox:
    """A fresh mailbox on the Dovecot that takes XOAUTH2; the provider names its user."""
    mailbox = new_mailbox(dovecot_oauth_server)
    oauth.username = mailbox.user
    return mailbox
