"""A form GET under load: gunicorn with 2 workers, 64 concurrent connections.

Serves the app under gunicorn (2 sync workers, SQLite) and drives it with wrk
(Debian's package: apt-get install wrk) for 10 seconds per target: first a
one-line Flask route on the same server, the baseline, then the form page of an
open request through a form link, as a letter carries it (``/f/TOKEN``, in
French; wrk keeps no cookie, like a mail gateway's scan). The last line gives
requests per second and p99 latency of both and the form's throughput as a
fraction of the baseline's (target >= 0.5).

    .venv/bin/python bench/form_load.py [--seconds 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

from common import ROOT, make_app, seed_states


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of ``url``."""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")

    from bot import db, links
    from bot.model import Contact, State
    from bot.requests import open_request

    app, settings = make_app()
    with app.app_context(), db.session() as s:
        seed_states(s)
        france = s.get_one(State, "FR")
        contact = Contact(
            state=france,
            role="focal_point",
            name="Claire Martin",
            emails=["fp.fr@example.org"],
            languages=["fr"],
        )
        s.add(contact)
        s.flush()
        req = open_request(
            s,
            france,
            "questionnaire",
            date.today() + timedelta(days=30),
            contact=contact,
            instrument_code="UNTOC",
            cycle="2026-2027",
        )
        s.flush()
        token = links.create(s, req, contact, days=120)  # the link a letter would carry
    db.engine().dispose()
    port = free_port()
    env = dict(
        os.environ,
        FOCALBOT_VAR=str(settings.var_dir),
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(ROOT / "bench"),
            "load_app:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        subprocess.run(["wrk", "-c", "2", "-d", "1s", f"{base}/f/{token}"], capture_output=True)
        ping_rps, ping_p99 = wrk(f"{base}/bench/ping", args.seconds, args.connections)
        form_rps, form_p99 = wrk(f"{base}/f/{token}", args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"gunicorn, 2 workers, {args.connections} connections, {args.seconds} s each: "
        f"one-line route {ping_rps:.0f} req/s (p99 {ping_p99:.1f} ms); "
        f"form GET {form_rps:.0f} req/s (p99 {form_p99:.1f} ms); "
        f"throughput ratio {form_rps / ping_rps:.2f} (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
