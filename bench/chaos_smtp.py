"""The SMTP server of the chaos run, in a process of its own so that it can be killed.

Accepts every message and writes it (Message-ID, envelope, bytes) to a SQLite
file, committed before it answers 250: a message the server acknowledged is on
disk, and one it recorded but was killed before acknowledging is there too (the
sender then tries again, and the same Message-ID arrives twice, as it would at a
real server that lost the connection after queueing). Started again on the same
port and file, it goes on counting.

    .venv/bin/python bench/chaos_smtp.py --port PORT --db FILE
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import threading
import time
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    id INTEGER PRIMARY KEY,
    message_id TEXT,
    mail_from TEXT NOT NULL,
    rcpts TEXT NOT NULL,
    data BLOB NOT NULL,
    at REAL NOT NULL
)
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(SCHEMA)
    return conn


class Recorder:
    def __init__(self, path: Path):
        self.conn = connect(path)
        self.conn.execute("PRAGMA synchronous=FULL")
        self.lock = threading.Lock()

    async def handle_DATA(self, _server, _session, envelope):
        data = bytes(envelope.original_content or envelope.content)
        headers = BytesHeaderParser(policy=compat32).parsebytes(data)
        message_id = " ".join(str(headers.get("Message-ID") or "").split()) or None
        with self.lock:
            cur = self.conn.execute(
                "INSERT INTO received (message_id, mail_from, rcpts, data, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (message_id, envelope.mail_from, json.dumps(envelope.rcpt_tos), data, time.time()),
            )
        return f"250 2.0.0 Ok: queued as C{cur.lastrowid:06d}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    from aiosmtpd.controller import Controller

    controller = Controller(Recorder(args.db), hostname="127.0.0.1", port=args.port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
