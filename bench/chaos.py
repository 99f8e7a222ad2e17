"""The chaos run: the whole stack on this machine, under faults, then the checks that nothing
was lost, nothing was sent twice and nothing is stuck.

Starts, each of its own: a ``redis-server`` on a free port without persistence (killed and
started again, losing its data), a fresh PostgreSQL database (``chaos_<random>``, dropped at
the end), Dovecot with one mail user, an SMTP server in its own process recording every
message in SQLite (bench/chaos_smtp.py), three Celery workers and beat. It loads the States
of bot/data/states.csv and their contacts, opens campaigns and requests to authorities that
produce at least ``--emails`` letters, and appends ``--replies`` replies, out-of-office
notices, delivery failure notices and unrelated mail to the mailbox, threaded to the
letters the SMTP server received. Meanwhile it kills workers (and beat) with SIGKILL,
kills and restarts Redis, stops the SMTP server for ``--smtp-outage`` seconds, and kicks
the mailbox's IMAP connections.

Then it waits (bounded) for the system to settle and checks: every message in the mailbox
is recorded exactly once; every letter recorded sent reached the SMTP server, nothing is
left unsent, and no step went twice to the same recipient under two Message-IDs (a copy
with the same Message-ID, after a lost acknowledgement, is one letter: receivers drop it;
those copies are counted and shown); no open request has a step due that the planner has
not written; no process crashed; the audit chain verifies. Exits 1 when a check fails.

    .venv/bin/python bench/chaos.py [--states 193] [--emails 2000] [--replies 1000] [--seed N]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tests.dovecot import DovecotServer

PG_ADMIN = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DOMAIN = "secretariat.example.org"
MAIL_USER, MAIL_PASSWORD = "chaos", "chaos-mailbox-password"
PLAN_INTERVAL, POLL_INTERVAL, SWEEP_INTERVAL, CLAIM_TIMEOUT = 5, 5, 8, 20
MAILBOX_LEASE, BEAT_LEASE, RETRY_AFTER = 20, 9, 10
WORKERS = 3
# the roles written to besides the focal point, each with a directory update of its own
AUTHORITIES = ("mla", "extradition", "transfer", "som_8_6", "uncac_46_13", "c1988_7_8")
CAMPAIGNS: tuple[tuple[str, dict[str, str]], ...] = (
    ("questionnaire", {"instrument": "UNTOC", "cycle": "2026-2027"}),
    ("clarification", {"subject": "Which authority receives requests under article 18?"}),
    ("technical_assistance", {}),
    ("supplementary_information", {}),
    ("case_examples", {}),
    ("directory_update", {}),
)


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


class Proc:
    """One child process of the run: started, killed and started again by name."""

    def __init__(self, name: str, cmd: list[str], log_path: Path, env: dict[str, str] | None):
        self.name, self.cmd, self.log_path, self.env = name, cmd, log_path, env
        self.proc: subprocess.Popen | None = None
        self.expected_down = False  # stopped by the run itself, not crashed
        self.crashes: list[int] = []

    def start(self) -> None:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                self.cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.expected_down = False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        self.expected_down = True
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 20) -> None:
        self.expected_down = True
        if self.alive:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def check(self) -> bool:
        """Whether it exited without being told to (recorded, and started again)."""
        if self.proc is None or self.expected_down or self.alive:
            return False
        self.crashes.append(self.proc.returncode)
        log(f"{self.name} exited by itself with {self.proc.returncode}; starting it again")
        self.start()
        return True


@dataclass
class Faults:
    worker_kills: int = 0
    beat_kills: int = 0
    redis_restarts: int = 0
    smtp_outages: list[float] = field(default_factory=list)
    imap_kicks: int = 0

    @property
    def total(self) -> int:
        return (
            self.worker_kills
            + self.beat_kills
            + self.redis_restarts
            + len(self.smtp_outages)
            + self.imap_kicks
        )

    def line(self) -> str:
        outages = "+".join(f"{d:.0f}s" for d in self.smtp_outages) or "none"
        return (
            f"faults {self.total} (worker kills {self.worker_kills}, beat kills "
            f"{self.beat_kills}, redis restarts {self.redis_restarts}, smtp outages "
            f"{len(self.smtp_outages)} [{outages}], imap kicks {self.imap_kicks})"
        )


class Stack:
    """The servers and processes of one run, in a temporary folder."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="focalbot-chaos-"))
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.db_name = f"chaos_{uuid.uuid4().hex[:10]}"
        self.db_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{self.db_name}".replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        self.redis_port = free_port()
        self.smtp_port = free_port()
        self.smtp_db = self.tmp / "smtp.sqlite"
        self.dovecot: DovecotServer | None = None
        self.procs: dict[str, Proc] = {}
        self.lock = threading.Lock()

    # the environment of every focalbot process (bot/config.py SETTINGS)
    def env(self) -> dict[str, str]:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SMTP_", "IMAP_", "DATABASE_", "CELERY_", "FOCALBOT_"))
        }
        assert self.dovecot is not None
        keep.update(
            FOCALBOT_VAR=str(self.tmp / "var"),
            DATABASE_URL=self.db_url,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            SMTP_URL=f"smtp://127.0.0.1:{self.smtp_port}",
            SMTP_TIMEOUT="5",
            IMAP_URL=f"imap://{MAIL_USER}:{MAIL_PASSWORD}@127.0.0.1:{self.dovecot.port}/INBOX",
            IMAP_TIMEOUT="10",
            SECRET_KEY="chaos-secret-key-0123456789abcdef",
            REPLY_ADDRESS=f"replies@{DOMAIN}",
            MAIL_FROM=f"UNTOC secretariat <secretariat@{DOMAIN}>",
            PUBLIC_URL="http://bot.example.org",
            POLICY_FILE=str(self.tmp / "policy.toml"),
            PLAN_INTERVAL=str(PLAN_INTERVAL),
            POLL_INTERVAL=str(POLL_INTERVAL),
            SWEEP_INTERVAL=str(SWEEP_INTERVAL),
            SEND_CLAIM_TIMEOUT=str(CLAIM_TIMEOUT),
            # a killed worker's mailbox lease, and the killed beat's, run out in seconds here
            MAILBOX_LEASE_SECONDS=str(MAILBOX_LEASE),
            SEND_RETRY_SECONDS=str(RETRY_AFTER),  # retries within the run, not a minute on
            BEAT_LEASE_SECONDS=str(BEAT_LEASE),
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        return keep

    def start_servers(self) -> None:
        import psycopg

        from tests.dovecot import start_server

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.dovecot = start_server()
        self.dovecot.add_user(MAIL_USER, MAIL_PASSWORD)
        (self.tmp / "redis").mkdir()
        self.procs["redis"] = Proc(
            "redis",
            [
                "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.tmp / "redis"),
                "--daemonize", "no", "--loglevel", "warning",
            ],
            self.logs / "redis.log",
            None,
        )
        self.procs["smtp"] = Proc(
            "smtp",
            [
                sys.executable, str(ROOT / "bench" / "chaos_smtp.py"),
                "--port", str(self.smtp_port), "--db", str(self.smtp_db),
            ],
            self.logs / "smtp.log",
            None,
        )
        self.start_redis()
        self.start_smtp()
        (self.tmp / "policy.toml").write_text(
            f'base = "{ROOT / "bot" / "data" / "policies" / "default.toml"}"\n\n'
            "# every letter at once, one letter per request, at any hour\n"
            "[sending]\nany_time = true\nmin_days_between = 0\ndigest = false\n"
        )

    def start_redis(self) -> None:
        self.procs["redis"].start()
        wait_port(self.redis_port, proc=self.procs["redis"].proc)

    def start_smtp(self) -> None:
        self.procs["smtp"].start()
        wait_port(self.smtp_port, proc=self.procs["smtp"].proc)

    def start_celery(self) -> None:
        env = self.env()
        celery = [sys.executable, "-m", "celery", "-A", "tasks.celery_app"]
        for i in range(WORKERS):
            self.procs[f"worker{i}"] = Proc(
                f"worker{i}",
                celery
                + [
                    "worker", "--pool=solo", "-n", f"chaos{i}@%h", "--without-heartbeat",
                    "--without-mingle", "--without-gossip", "--loglevel=INFO",
                ],
                self.logs / f"worker{i}.log",
                env,
            )
        self.procs["beat"] = Proc(
            "beat",
            celery
            + ["beat", "--loglevel=INFO", "--schedule", str(self.tmp / "celerybeat-schedule")],
            self.logs / "beat.log",
            env,
        )
        for name, proc in self.procs.items():
            if name.startswith(("worker", "beat")):
                proc.start()

    def workers(self) -> list[Proc]:
        return [p for n, p in self.procs.items() if n.startswith("worker")]

    def watch(self) -> None:
        with self.lock:
            for proc in self.procs.values():
                proc.check()

    def crashes(self) -> dict[str, list[int]]:
        return {n: p.crashes for n, p in self.procs.items() if p.crashes}

    def close(self, keep: bool, keep_database: bool) -> None:
        """Stop everything; drop the database unless ``keep_database``, remove the logs and
        the mailbox unless ``keep``."""
        for name in [n for n in self.procs if n.startswith(("beat", "worker"))]:
            self.procs[name].stop()
        for name in ("smtp", "redis"):
            if name in self.procs:
                self.procs[name].stop()
        if self.dovecot is not None:
            self.dovecot.stop()
            if keep:
                log(f"logs kept in {self.tmp}, the mailbox in {self.dovecot.root}")
            else:
                shutil.rmtree(self.dovecot.root, ignore_errors=True)
        if not keep_database:
            self.drop_database()
        else:
            log(f"database kept: {self.db_url}")
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def drop_database(self) -> None:
        try:
            from bot import db

            if db._engine is not None:
                db._engine.dispose()
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        except Exception as exc:  # reported; the run's result stands
            log(f"could not drop {self.db_name}: {exc}")


# --- the data -----------------------------------------------------------------------------


def load_directory(args: argparse.Namespace, rng: random.Random) -> list[str]:
    """Seed the States and instruments; give ``--states`` of them a focal point, an
    alternate, a permanent mission and authorities. Returns their codes."""
    from sqlalchemy import select

    from bot import db
    from bot.directory.contacts import ContactIndex, upsert_contact
    from bot.directory.data import load_states
    from bot.directory.seed import seed
    from bot.model import State

    with db.session() as s:
        seed(s, actor="chaos")
    members = [row.code for row in load_states() if row.member]
    codes = sorted(rng.sample(members, min(args.states, len(members))))
    with db.session() as s:
        states = {st.code: st for st in s.scalars(select(State).where(State.code.in_(codes)))}
        index = ContactIndex(s, codes)
        for code in codes:
            st = states[code]
            host = f"{code.lower()}.gov.example"
            for role in ("focal_point", "alternate", "mission", *AUTHORITIES):
                upsert_contact(
                    s,
                    index,
                    st,
                    role,
                    None,
                    {
                        "name": f"{role.replace('_', ' ').title()} of {code}",
                        "emails": [f"{role.replace('_', '-')}@{host}"],
                        "languages": [st.language],
                    },
                    actor="chaos",
                    source="chaos",
                )
    return codes


def openings(per_state: int) -> list[tuple[str, dict]]:
    """What to open for each State: the campaigns to its focal point, then directory
    updates to its authorities, then the campaigns again for later cycles."""
    plan: list[tuple[str, dict]] = []
    round_ = 0
    while len(plan) < per_state:
        for kind, extra in CAMPAIGNS:
            plan.append(("campaign", {"kind": kind, **extra, "round": round_}))
        for role in AUTHORITIES:
            plan.append(("authority", {"role": role, "round": round_}))
        round_ += 1
    return plan[:per_state]


def open_one(codes: list[str], what: str, spec: dict, rng: random.Random) -> int:
    """Open one campaign (every State), or one directory update per State to an authority."""
    from sqlalchemy import select

    from bot import db
    from bot.campaign import create_campaign
    from bot.model import Contact, State
    from bot.requests import open_request

    due = date.today() + timedelta(days=rng.randint(30, 90))
    with db.session() as s:
        if what == "campaign":
            cycle = spec.get("cycle", "") + (f"-r{spec['round']}" if spec["round"] else "")
            result = create_campaign(
                s,
                kind=spec["kind"],
                due=due,
                instrument=spec.get("instrument"),
                cycle=cycle,
                subject=spec.get("subject", ""),
                states=codes,
                include_open=True,
                actor="chaos",
            )
            return len(result.opened)
        opened = 0
        contacts = s.scalars(
            select(Contact).where(Contact.state_code.in_(codes), Contact.role == spec["role"])
        ).all()
        for c in contacts:
            open_request(
                s,
                s.get_one(State, c.state_code),
                "directory_update",
                due,
                contact=c,
                cycle=f"chaos-r{spec['round']}" if spec["round"] else "",
                actor="chaos",
            )
            opened += 1
        return opened


# --- the mail that comes back -------------------------------------------------------------


@dataclass
class Letter:
    message_id: str
    mail_from: str
    rcpts: list[str]
    subject: str
    reply_to: str
    kind: str | None  # the request's kind
    language: str


class Feeder:
    """Appends replies, notices and unrelated mail to the mailbox, as letters arrive."""

    MIX: tuple[tuple[str, int], ...] = (
        ("reply", 55), ("ooo", 15), ("bounce", 15), ("delayed", 5), ("unrelated", 10)
    )

    def __init__(self, stack: Stack, target: int, rng: random.Random, app):
        self.stack, self.target, self.rng, self.app = stack, target, rng, app
        self.appended: collections.Counter[str] = collections.Counter()  # Message-ID: copies
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.seen_rowid = 0
        self.pool: list[Letter] = []
        self.answered: set[str] = set()
        self.client: Any = None
        self.errors = 0
        self.stop = threading.Event()
        self.done = threading.Event()
        self.sent_copies: list[bytes] = []
        self.letters_known = 0
        self.thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    @property
    def distinct(self) -> int:
        return len(self.appended)

    def _new_letters(self) -> None:
        from sqlalchemy import select

        from bot import db
        from bot.model import Message, Request

        conn = sqlite3.connect(self.stack.smtp_db, timeout=30)
        try:
            rows = conn.execute(
                "SELECT id, message_id, mail_from, rcpts, data FROM received WHERE id > ? "
                "ORDER BY id",
                (self.seen_rowid,),
            ).fetchall()
        except sqlite3.OperationalError:  # not created yet
            rows = []
        finally:
            conn.close()
        if not rows:
            return
        self.seen_rowid = rows[-1][0]
        ids = [r[1] for r in rows if r[1]]
        with self.app.app_context(), db.session() as s:
            known = {
                mid: (kind, rkind)
                for mid, kind, rkind in s.execute(
                    select(Message.message_id, Message.kind, Request.kind)
                    .outerjoin(Request, Request.id == Message.request_id)
                    .where(Message.message_id.in_(ids), Message.direction == "out")
                )
            }
        for _rowid, mid, mail_from, rcpts, data in rows:
            if not mid or mid in self.answered or mid not in known:
                continue
            kind, rkind = known[mid]
            if kind == "receipt":
                continue
            self.answered.add(mid)
            head = BytesHeaderParser(policy=compat32).parsebytes(data)
            self.letters_known += 1
            self.pool.append(
                Letter(
                    mid,
                    mail_from,
                    json.loads(rcpts),
                    " ".join(str(head.get("Subject", "")).split()),
                    str(head.get("Reply-To", f"replies@{DOMAIN}")),
                    rkind,
                    str(head.get("Content-Language", "en")),
                )
            )

    def _pick(self) -> str:
        return self.rng.choices([k for k, _ in self.MIX], [w for _, w in self.MIX])[0]

    def _build(self, what: str) -> bytes | None:
        if what == "unrelated" or not self.pool:
            self.by_kind["unrelated"] += 1
            return unrelated(self.rng)
        letter = self.pool.pop(self.rng.randrange(len(self.pool)))
        self.by_kind[what] += 1
        if what == "reply":
            return reply(letter, self.rng)
        if what == "ooo":
            return out_of_office(letter, self.rng)
        return dsn(letter, permanent=what == "bounce")

    def _connect(self):
        from imapclient import IMAPClient

        assert self.stack.dovecot is not None
        client = IMAPClient("127.0.0.1", port=self.stack.dovecot.port, ssl=False, timeout=10)
        client.login(MAIL_USER, MAIL_PASSWORD)
        return client

    def append(self, raw: bytes) -> None:
        """APPEND until the server says it is stored (a lost answer may store a copy)."""
        mid = BytesHeaderParser(policy=compat32).parsebytes(raw)["Message-ID"]
        for attempt in range(60):
            try:
                if self.client is None:
                    self.client = self._connect()
                self.client.append("INBOX", raw)
                self.appended[" ".join(mid.split())] += 1
                return
            except Exception:
                self.errors += 1
                self.client = None
                time.sleep(min(0.2 * (attempt + 1), 2))
        raise RuntimeError(f"could not append {mid} after 60 attempts")

    def _run(self) -> None:
        try:
            started = time.monotonic()
            while not self.stop.is_set() and self.distinct < self.target:
                self._new_letters()
                # keep pace with the letters, and finish within the active phase
                elapsed = time.monotonic() - started
                due_by_time = self.target * min(1.0, elapsed / max(self.stack.args.feed_seconds, 1))
                quota = int(due_by_time) - self.distinct
                while quota > 0 and self.distinct < self.target and not self.stop.is_set():
                    what = self._pick()
                    if what != "unrelated" and not self.pool and elapsed < (
                        self.stack.args.feed_seconds + 90
                    ):
                        break  # wait for letters to answer (some come late, after retries)
                    raw = self._build(what)
                    assert raw is not None
                    self.append(raw)
                    if self.rng.random() < 0.03:
                        self.sent_copies.append(raw)
                    quota -= 1
                if self.sent_copies and self.rng.random() < 0.3:  # the same message again
                    self.append(self.sent_copies.pop(0))
                    self.by_kind["copy"] += 1
                time.sleep(0.5)
            for raw in self.sent_copies:
                self.append(raw)
                self.by_kind["copy"] += 1
        except Exception as exc:
            log(f"feeder stopped: {type(exc).__name__}: {exc}")
            raise
        finally:
            self.done.set()
            if self.client is not None:
                try:
                    self.client.logout()
                except Exception:
                    pass


def _base(letter: Letter, subject_prefix: str) -> EmailMessage:
    msg = EmailMessage()
    person = letter.rcpts[0]
    msg["From"] = f"{person.split('@')[0].replace('-', ' ').title()} <{person}>"
    msg["To"] = letter.reply_to
    msg["Subject"] = f"{subject_prefix}{letter.subject}"
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=person.split("@")[1])
    msg["In-Reply-To"] = letter.message_id
    msg["References"] = letter.message_id
    return msg


def reply(letter: Letter, rng: random.Random) -> bytes:
    msg = _base(letter, rng.choice(["RE: ", "Re: ", "AW: ", "RE : "]))
    if letter.kind == "directory_update" and rng.random() < 0.6:
        body = "CONFIRM\n\nThe entry is correct.\n"
    else:
        body = rng.choice(
            [
                "Dear colleagues,\n\nThe central authority is the Ministry of Justice, "
                "Department of International Cooperation. Requests are accepted in English "
                "and French.\n\nBest regards,\n",
                "Dear secretariat,\n\nThank you for your letter. We will send the completed "
                "information before the deadline.\n\nKind regards,\n",
                "Good morning,\n\nPlease find our answer: no change since the last report; "
                "the legislation adopted in 2024 is in force.\n\nRegards,\n",
            ]
        )
    msg.set_content(body + "\n> (quoted letter)\n")
    return bytes(msg)


def out_of_office(letter: Letter, rng: random.Random) -> bytes:
    msg = _base(letter, "Automatic reply: ")
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    back = date.today() + timedelta(days=rng.randint(3, 20))
    msg.set_content(
        f"Thank you for your email. I am out of the office until {back.day} "
        f"{back.strftime('%B %Y')} with limited access to email.\n"
    )
    return bytes(msg)


def dsn(letter: Letter, *, permanent: bool) -> bytes:
    """A delivery status notification (RFC 3464) for the letter's first recipient."""
    rcpt = letter.rcpts[0]
    status, action = ("5.1.1", "failed") if permanent else ("4.4.1", "delayed")
    boundary = uuid.uuid4().hex
    now = format_datetime(datetime.now().astimezone())
    subject = (
        "Undelivered Mail Returned to Sender" if permanent else "Delayed Mail (still being retried)"
    )
    notice = (
        "I'm sorry to have to inform you that your message could not be delivered to one or "
        f"more recipients.\r\n\r\n<{rcpt}>: host said: 550 5.1.1 User unknown"
        if permanent
        else f"Your message could not be delivered for 4 hours to <{rcpt}>. It will be "
        "retried until it is 5 days old."
    )
    diagnostic = (
        f"smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"
        if permanent
        else "X-Postfix; connect to mx: Connection timed out"
    )
    text = f"""Return-Path: <>
From: MAILER-DAEMON@mx1.{DOMAIN} (Mail Delivery System)
To: {letter.mail_from}
Subject: {subject}
Date: {now}
Message-ID: {make_msgid(domain=f"mx1.{DOMAIN}")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset="us-ascii"
Content-Description: Notification

This is the mail system at host mx1.{DOMAIN}.

{notice}

--{boundary}
Content-Type: message/delivery-status
Content-Description: Delivery report

Reporting-MTA: dns; mx1.{DOMAIN}

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--{boundary}
Content-Type: text/rfc822-headers
Content-Description: Undelivered Message Headers

From: UNTOC secretariat <secretariat@{DOMAIN}>
To: {rcpt}
Subject: {letter.subject}
Message-ID: {letter.message_id}

--{boundary}--
"""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def unrelated(rng: random.Random) -> bytes:
    msg = EmailMessage()
    who = f"officer{rng.randint(1, 10**6)}@ministry{rng.randint(1, 50)}.example"
    msg["From"] = who
    msg["To"] = f"replies@{DOMAIN}"
    msg["Subject"] = rng.choice(
        ["Question about the review mechanism", "Training workshop in March", "Contact update"]
    )
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=who.split("@")[1])
    msg.set_content("Dear colleagues,\n\nCould you tell us whom to contact about this?\n")
    return bytes(msg)


# --- the faults ---------------------------------------------------------------------------


def fault_plan(args: argparse.Namespace, rng: random.Random) -> list[tuple[float, str, object]]:
    """(seconds from the start of the active phase, what, argument), in time order."""
    span = args.duration
    events: list[tuple[float, str, object]] = []
    t = rng.uniform(5, 12)
    while t < span + 240:  # until the feeding ends, when the run calls them off
        worker = rng.randrange(WORKERS)
        events.append((t, "kill_worker", worker))
        events.append((t + rng.uniform(0.5, 4), "start_worker", worker))
        t += rng.uniform(6, 16)
    t = rng.uniform(4, 10)
    while t < span + 240:
        events.append((t, "imap_kick", None))
        t += rng.uniform(6, 14)
    for k in range(args.redis_restarts):
        events.append((span * (k + rng.uniform(0.3, 0.8)) / args.redis_restarts, "redis", None))
    low, high = args.smtp_outage
    for k in range(args.smtp_outages):
        at = span * (0.15 + 0.5 * k / max(args.smtp_outages, 1)) + rng.uniform(0, 5)
        length = rng.uniform(low, high)
        events.append((at, "smtp_stop", None))
        events.append((at + length, "smtp_start", length))
    at = span * rng.uniform(0.4, 0.7)
    events.append((at, "kill_beat", None))
    events.append((at + rng.uniform(1, 4), "start_beat", None))
    return sorted(events, key=lambda e: e[0])


class Injector:
    def __init__(self, stack: Stack, events: list[tuple[float, str, object]]):
        self.stack, self.events = stack, events
        self.faults = Faults()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="faults", daemon=True)
        self.started = 0.0

    def _run(self) -> None:
        self.started = time.monotonic()
        for at, what, arg in self.events:
            while not self.stop.is_set() and time.monotonic() - self.started < at:
                time.sleep(0.1)
            if self.stop.is_set():
                return
            try:
                self.apply(what, arg)
            except Exception as exc:  # a fault that cannot be applied is reported
                log(f"fault {what} failed: {type(exc).__name__}: {exc}")

    def apply(self, what: str, arg) -> None:
        stack, f = self.stack, self.faults
        with stack.lock:
            if what == "kill_worker":
                stack.procs[f"worker{arg}"].kill()
                f.worker_kills += 1
            elif what == "start_worker":
                stack.procs[f"worker{arg}"].start()
            elif what == "kill_beat":
                stack.procs["beat"].kill()
                f.beat_kills += 1
                log("beat killed (SIGKILL)")
            elif what == "start_beat":
                stack.procs["beat"].start()
            elif what == "imap_kick":
                assert stack.dovecot is not None
                stack.dovecot.kick(MAIL_USER)
                f.imap_kicks += 1
            elif what == "redis":
                stack.procs["redis"].kill()
                time.sleep(1)
                stack.start_redis()
                f.redis_restarts += 1
                log("redis killed and started again, empty")
            elif what == "smtp_stop":
                stack.procs["smtp"].kill()
                log("SMTP server killed (SIGKILL)")
            elif what == "smtp_start":
                stack.start_smtp()
                f.smtp_outages.append(float(arg))
                log(f"SMTP server started again after {arg:.0f} s")

    def finish(self) -> None:
        """Stop injecting and bring back whatever is down."""
        self.stop.set()
        self.thread.join(timeout=30)
        with self.stack.lock:
            for name, proc in self.stack.procs.items():
                if not proc.alive:
                    if name == "redis":
                        self.stack.start_redis()
                    elif name == "smtp":
                        self.stack.start_smtp()
                    else:
                        proc.start()


# --- waiting and checking -----------------------------------------------------------------


def inbox_count(stack: Stack) -> int:
    from imapclient import IMAPClient

    assert stack.dovecot is not None
    with IMAPClient("127.0.0.1", port=stack.dovecot.port, ssl=False, timeout=10) as c:
        c.login(MAIL_USER, MAIL_PASSWORD)
        return int(c.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"])


def pending(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from bot import db
    from bot.model import Message, Request, utcnow

    with app.app_context(), db.session() as s:
        unsent = s.scalar(
            select(func.count()).where(
                Message.direction == "out", Message.delivery.in_(["queued", "retry", "sending"])
            )
        )
        unread = s.scalar(
            select(func.count()).where(Message.direction == "in", Message.delivery == "received")
        )
        due = s.scalar(
            select(func.count()).where(
                Request.status == "open",
                Request.paused.is_(False),
                Request.next_action_at <= utcnow(),
            )
        )
    return {"unsent": unsent or 0, "unread": unread or 0, "due": due or 0}


def settle(stack: Stack, app, timeout: float) -> tuple[bool, dict[str, int]]:
    """Wait until nothing is unsent, unread or due, twice a planning round apart."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    state: dict[str, int] = {}
    last_note = 0.0
    while time.monotonic() < deadline:
        stack.watch()
        try:
            state = pending(app) | {"inbox": inbox_count(stack)}
        except Exception as exc:
            log(f"settle: {type(exc).__name__}: {exc}")
            time.sleep(2)
            continue
        if not any(state.values()):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 2 * max(PLAN_INTERVAL, POLL_INTERVAL) + 2:
                return True, state
        else:
            quiet_since = None
        if time.monotonic() - last_note > 15:
            log(f"settling: {state}")
            last_note = time.monotonic()
        time.sleep(1)
    return False, state


def mailbox_ids(stack: Stack) -> tuple[collections.Counter[str], int]:
    """Message-IDs of every message in every folder of the mailbox, and those in INBOX."""
    from imapclient import IMAPClient

    assert stack.dovecot is not None
    found: collections.Counter[str] = collections.Counter()
    inbox = 0
    with IMAPClient("127.0.0.1", port=stack.dovecot.port, ssl=False, timeout=30) as c:
        c.login(MAIL_USER, MAIL_PASSWORD)
        for _flags, _sep, name in c.list_folders():
            folder = name if isinstance(name, str) else name.decode()
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            if folder == "INBOX":
                inbox = len(uids)
            for start in range(0, len(uids), 500):
                data = c.fetch(uids[start : start + 500], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
                for item in data.values():
                    head = next(bytes(v) for k, v in item.items() if k.startswith(b"BODY[HEADER"))
                    mid = BytesHeaderParser(policy=compat32).parsebytes(head)["Message-ID"]
                    found[" ".join(str(mid or "").split())] += 1
    return found, inbox


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_inbound(stack: Stack, app, feeder: Feeder) -> tuple[list[Check], dict]:
    from sqlalchemy import select

    from bot import db
    from bot.model import Message

    in_mailbox, inbox_left = mailbox_ids(stack)
    with app.app_context(), db.session() as s:
        rows = s.execute(
            select(Message.message_id, Message.dedup_key, Message.delivery).where(
                Message.direction == "in"
            )
        ).all()
    recorded = collections.Counter(r.message_id for r in rows)
    appended = set(feeder.appended)
    deliveries = collections.Counter(r.delivery for r in rows)
    missing = sorted(set(in_mailbox) - set(recorded))
    twice = sorted(m for m, n in recorded.items() if n > 1)
    invented = sorted(set(recorded) - set(in_mailbox))
    lost_append = sorted(appended - set(in_mailbox))
    figures = {
        "appended": len(appended),
        "appended_copies": sum(feeder.appended.values()),
        "in_mailbox": sum(in_mailbox.values()),
        "recorded": len(rows),
        "deliveries": dict(deliveries),
        "mix": dict(feeder.by_kind),
    }
    checks = [
        Check(
            "inbound recorded exactly once",
            not missing and not twice and not invented and not lost_append,
            f"{len(set(in_mailbox))} distinct Message-IDs in the mailbox "
            f"({sum(in_mailbox.values())} copies, {len(appended)} appended), {len(rows)} "
            f"recorded; not recorded {len(missing)} {missing[:3]}, recorded twice {len(twice)} "
            f"{twice[:3]}, recorded but not in the mailbox {len(invented)} {invented[:3]}",
        ),
        Check(
            "inbound all read",
            inbox_left == 0 and deliveries.get("received", 0) == 0,
            f"{inbox_left} left in INBOX, {deliveries.get('received', 0)} stored but not "
            f"recorded; {dict(deliveries)}",
        ),
    ]
    return checks, figures


def check_outbound(stack: Stack, app) -> tuple[list[Check], dict]:
    from sqlalchemy import select

    from bot import db
    from bot.model import Message, OutboxItem

    conn = sqlite3.connect(stack.smtp_db, timeout=30)
    received = conn.execute("SELECT message_id, rcpts, data FROM received").fetchall()
    conn.close()
    copies = collections.Counter(mid for mid, _, _ in received)
    bodies: dict[str, set[bytes]] = collections.defaultdict(set)
    rcpts_of: dict[str, set[str]] = collections.defaultdict(set)
    for mid, rcpts, data in received:
        bodies[mid].add(data)
        rcpts_of[mid].update(json.loads(rcpts))
    with app.app_context(), db.session() as s:
        rows = s.execute(
            select(Message.id, Message.message_id, Message.delivery, Message.kind).where(
                Message.direction == "out"
            )
        ).all()
        items = s.execute(select(OutboxItem.message_id, OutboxItem.request_id, OutboxItem.step))
        steps_of: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
        for mid, rid, step in items:
            steps_of[mid].append((rid, step.split("~")[0]))
    by_delivery = collections.Counter(r.delivery for r in rows)
    sent = {r.message_id for r in rows if r.delivery == "sent"}
    ours = {r.message_id: r for r in rows}
    delivered = set(copies)
    never_arrived = sorted(sent - delivered)
    unknown = sorted(delivered - set(ours))
    unsent = sum(by_delivery.get(d, 0) for d in ("queued", "retry", "sending"))
    other = {
        m: ours[m].delivery for m in delivered - sent if m in ours
    }  # delivered, recorded cancelled or failed (an answer lost before a cancel)
    changed_copies = sorted(m for m, b in bodies.items() if len(b) > 1)
    # a step of a request delivered to one address under two Message-IDs is a second letter
    letters: dict[tuple[int, str, str], set[str]] = collections.defaultdict(set)
    for m in delivered:
        row = ours.get(m)
        if row is None:
            continue
        for rid, step in steps_of.get(row.id, []):
            for rcpt in rcpts_of[m]:
                letters[(rid, step, rcpt)].add(m)
    doubled = sorted(k for k, v in letters.items() if len(v) > 1)
    duplicates = sum(n - 1 for n in copies.values())
    due = len(sent) + unsent + by_delivery.get("failed", 0)
    figures = {
        "due": due,
        "sent": len(sent),
        "distinct": len(delivered),
        "duplicates": duplicates,
        "deliveries": dict(by_delivery),
        "delivered_recorded_otherwise": len(other),
    }
    checks = [
        Check(
            "every letter due delivered",
            not never_arrived and unsent == 0 and by_delivery.get("failed", 0) == 0,
            f"{due} due, {len(sent)} recorded sent, {len(delivered)} distinct Message-IDs at "
            f"the SMTP server; sent but never arrived {len(never_arrived)} "
            f"{never_arrived[:3]}, left unsent {unsent}, failed {by_delivery.get('failed', 0)}",
        ),
        Check(
            "none twice",
            not doubled and not changed_copies and not unknown,
            f"{duplicates} repeated copies (same Message-ID, same bytes: one letter) of "
            f"{sum(1 for n in copies.values() if n > 1)} messages; steps delivered twice to one "
            f"address {len(doubled)} {doubled[:3]}; copies that differ {len(changed_copies)}; "
            f"Message-IDs we never wrote {len(unknown)}; delivered but recorded "
            f"{collections.Counter(other.values()) or 'otherwise: none'}",
        ),
    ]
    return checks, figures


def check_stuck(app, settings) -> Check:
    """Open requests the planner should have written a letter for: due and not looked at,
    or with a step due now (the planner's own decision over every open request)."""
    from sqlalchemy import select

    from bot import db
    from bot.model import Request, utcnow
    from bot.outbound.choose import decide_pass, load_facts
    from bot.outbound.planner import _load, policy_for

    now = utcnow()
    margin = timedelta(seconds=3 * PLAN_INTERVAL)
    policy = policy_for(settings)
    with app.app_context(), db.session() as s:
        ids = list(s.scalars(select(Request.id).where(Request.status == "open")))
        late = list(
            s.scalars(
                select(Request.id).where(
                    Request.status == "open",
                    Request.paused.is_(False),
                    Request.next_action_at <= now - margin,
                )
            )
        )
        would_send: list[int] = []
        for start in range(0, len(ids), 200):
            batch = list(s.scalars(_load(ids[start : start + 200])))
            decision = decide_pass(s, batch, load_facts(s, [r.id for r in batch]), policy, now)
            would_send += [r.id for d in decision.drafts for r in d.requests]
        s.rollback()
    return Check(
        "no request stuck",
        not late and not would_send,
        f"{len(ids)} open; due more than {margin.seconds} s ago and not planned {len(late)} "
        f"{late[:5]}; a step due now with no letter {len(would_send)} {would_send[:5]}",
    )


def check_audit(app) -> Check:
    from bot import audit, db

    with app.app_context(), db.session() as s:
        result = audit.verify(s)
    return Check(
        "audit chain verifies",
        result.ok,
        f"{result.count} events" + ("" if result.ok else f"; {result.message()}"),
    )


def worker_errors(stack: Stack) -> collections.Counter[str]:
    """The errors the workers logged, by their last line (the exception)."""
    out: collections.Counter[str] = collections.Counter()
    for path in stack.logs.glob("worker*.log"):
        lines = path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                j = i + 1
                while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j]):
                    j += 1
                if j < len(lines):
                    out[lines[j][:160]] += 1
    return out


# --- the run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--states", type=int, default=193, help="States given contacts and requests")
    p.add_argument("--emails", type=int, default=2000, help="letters to open requests for")
    p.add_argument("--replies", type=int, default=1000, help="messages appended to the mailbox")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    p.add_argument("--duration", type=float, default=None, help="seconds of faults")
    p.add_argument(
        "--smtp-outage", type=float, nargs=2, default=(30.0, 60.0), metavar=("MIN", "MAX")
    )
    p.add_argument("--smtp-outages", type=int, default=1)
    p.add_argument("--redis-restarts", type=int, default=2)
    p.add_argument("--settle-timeout", type=float, default=300.0)
    p.add_argument(
        "--keep", action="store_true", help="keep the logs, the mailbox and the database"
    )
    args = p.parse_args(argv)
    if args.duration is None:  # long enough to open, send and answer it all under faults
        args.duration = min(240.0, max(60.0, args.emails / 10))
    args.feed_seconds = 0.75 * args.duration
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(10**6)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    began = time.monotonic()
    log(
        f"seed {args.seed}: {args.states} States, at least {args.emails} letters, "
        f"{args.replies} inbound, {args.duration:.0f} s of faults"
    )
    stack = Stack(args)
    ok = False
    try:
        stack.start_servers()
        from bot import config, db
        from bot.app import create_app
        from bot.migrate import upgrade

        settings = config.load(stack.env())
        app = create_app(settings)
        upgrade(db.engine())
        with app.app_context():
            codes = load_directory(args, rng)
        per_state = math.ceil(args.emails / len(codes))
        todo = openings(per_state)
        log(f"{len(codes)} States with contacts; {per_state} requests each; starting Celery")
        stack.start_celery()
        injector = Injector(stack, fault_plan(args, rng))
        feeder = Feeder(stack, args.replies, rng, app)
        injector.thread.start()
        feeder.thread.start()
        opened = 0
        open_every = 0.35 * args.duration / max(len(todo), 1)
        next_open = time.monotonic()
        hard_stop = time.monotonic() + args.duration + 240
        while time.monotonic() < hard_stop:
            stack.watch()
            if todo and time.monotonic() >= next_open:
                what, spec = todo.pop(0)
                with app.app_context():
                    opened += open_one(codes, what, spec, rng)
                next_open = time.monotonic() + open_every
            active = time.monotonic() - injector.started
            if not todo and feeder.done.is_set() and active >= args.duration:
                # the faults go on while the mailbox is read, up to two minutes more
                try:
                    unread = inbox_count(stack)
                except Exception:  # a kick at that moment
                    unread = args.replies
                if active >= args.duration + 120 or unread <= args.replies // 20:
                    break
                time.sleep(2)
            time.sleep(0.2)
        feeder.stop.set()
        feeder.thread.join(timeout=60)
        injector.finish()
        log(
            f"faults stopped: {opened} requests opened, {feeder.distinct} messages appended; "
            f"{injector.faults.line()}"
        )
        settled, left = settle(stack, app, args.settle_timeout)
        log(f"{'settled' if settled else 'did not settle'}: {left}")
        for name in [n for n in stack.procs if n.startswith(("beat", "worker"))]:
            stack.procs[name].stop()
        checks = [
            Check("settled", settled, f"{left}"),
            Check(
                "no process crashed",
                not stack.crashes(),
                f"exits not caused by the run: {stack.crashes() or 'none'}",
            ),
            Check(
                "enough traffic",
                opened >= args.emails and feeder.distinct >= args.replies,
                f"{opened} requests opened, {feeder.distinct} messages appended",
            ),
        ]
        inbound, in_figures = check_inbound(stack, app, feeder)
        outbound, out_figures = check_outbound(stack, app)
        checks += inbound + outbound + [check_stuck(app, settings), check_audit(app)]
        errors = worker_errors(stack)
        print("\nworker errors logged (by exception):")
        for line, n in errors.most_common(12) or [("none", 0)]:
            print(f"  {n:5d}  {line}")
        print(f"inbound mix: {in_figures['mix']}; recorded as {in_figures['deliveries']}")
        print(f"outbound: {out_figures['deliveries']}")
        print()
        for c in checks:
            print(f"{'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}")
        ok = all(c.ok for c in checks)
        duration = time.monotonic() - began
        print(
            f"chaos seed {args.seed}: emails due {out_figures['due']} sent {out_figures['sent']} "
            f"distinct {out_figures['distinct']} duplicates {out_figures['duplicates']}; "
            f"inbound appended {in_figures['appended']} recorded {in_figures['recorded']}; "
            f"{injector.faults.line()}; duration {duration:.0f} s; "
            f"{'all checks passed' if ok else 'CHECKS FAILED'}",
            flush=True,
        )
    finally:
        stack.close(keep=args.keep or not ok, keep_database=args.keep)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
