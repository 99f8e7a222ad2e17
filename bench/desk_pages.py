"""The desk's pages at the size of the secretariat's correspondence.

Fills PostgreSQL with 193 States, 2,000 contacts, 20,000 requests and 200,000 messages,
then times the desk home, a State page, a request page and the search (each 40 times,
logged in, after a warm-up) beside a trivial route of the same app in the same run, and
counts the SQL queries of each page. Target: each page under 200 ms at p95.

    .venv/bin/python bench/desk_pages.py [--requests 20000] [--messages 200000] [--runs 40]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import string
import time
from datetime import UTC, date, datetime, timedelta
from itertools import product

from common import drop_pg_database, fresh_pg_database, make_app

BATCH = 5000
WORDS = "loi décret article convention ministère justice rapport réponse annexe".split()


def _insert(model, rows) -> None:
    from sqlalchemy import insert

    from bot import db

    with db.session() as s:
        for start in range(0, len(rows), BATCH):
            s.execute(insert(model), rows[start : start + BATCH])
        s.commit()


def fill(n_states: int, n_contacts: int, n_requests: int, n_messages: int) -> None:
    from bot import auth, db
    from bot.model import Contact, Instrument, Message, Request, State

    groups = ["AFR", "APG", "EEG", "GRULAC", "WEOG"]
    codes = ["".join(p) for p in product(string.ascii_uppercase, repeat=2)][:n_states]
    with db.session() as s:
        s.add(Instrument(code="UNTOC", names={"en": "UNTOC"}))
        s.add_all(
            State(
                code=code, names={"en": f"State {code}", "ar": f"دولة {code}"},
                un_group=groups[i % 5], language="en", timezone="UTC",
            )
            for i, code in enumerate(codes)
        )
        auth.set_password(s, "bench@secretariat.example.org", "bench-password-1", actor="bench")
        s.commit()
    _insert(
        Contact,
        [
            {
                "state_code": codes[i % n_states], "role": "focal_point",
                "name": f"Contact {i}", "organisation": "Ministry of Justice",
                "emails": [f"fp{i}@state{i % n_states}.example.org"],
            }
            for i in range(n_contacts)
        ],
    )
    today = date.today()
    statuses = ["open", "open", "answered", "closed"]
    _insert(
        Request,
        [
            {
                "state_code": codes[i % n_states], "kind": "questionnaire", "cycle": "2027",
                "instrument_code": "UNTOC", "due_date": today + timedelta(days=(i % 90) - 30),
                "status": statuses[i % 4], "token": secrets.token_hex(8),
                "escalated_at": datetime.now(UTC) if i % 97 == 0 else None,
            }
            for i in range(n_requests)
        ],
    )
    raw = b"From: fp@example.org\nSubject: Re\nContent-Type: text/plain\n\nThank you.\n"
    rows = []
    for i in range(n_messages):
        rid = (i % n_requests) + 1
        inbound = i % 2 == 1
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(12))
        rows.append(
            {
                "direction": "in" if inbound else "out", "request_id": rid,
                "state_code": codes[(rid - 1) % n_states],
                "subject": f"Questionnaire [FB-{rid}]", "from_addr": "fp@example.org",
                "to_addrs": ["secretariat@example.org"], "raw": raw,
                "delivery": "processed" if inbound else "sent",
                "text": (f"{words} blanchiment" if i % 1000 == 1 else words) if inbound else None,
            }
        )
    _insert(Message, rows)
    with db.engine().connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def measure(client, path: str, runs: int) -> tuple[float, float, int]:
    from sqlalchemy import event

    from bot import db

    queries: list[int] = []

    def count(*_args) -> None:
        queries.append(1)

    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    engine = db.engine()
    for n in range(runs):
        if n == 0:
            event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        resp = client.get(path)
        times.append(time.perf_counter() - start)
        if n == 0:
            event.remove(engine, "before_cursor_execute", count)
        assert resp.status_code == 200, path
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    return statistics.median(times) * 1000, p95, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--states", type=int, default=193)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    url = fresh_pg_database()
    try:
        app, _settings = make_app(url)
        app.add_url_rule("/bench-trivial", "bench_trivial", lambda: "ok")
        app.config["WTF_CSRF_ENABLED"] = False  # the log-in is posted without its page
        started = time.perf_counter()
        fill(args.states, args.contacts, args.requests, args.messages)
        print(f"filled in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        resp = client.post(
            "/desk/login",
            data={"email": "bench@secretariat.example.org", "password": "bench-password-1"},
        )
        assert resp.status_code == 303, resp.status_code
        pages = {
            "trivial route": "/bench-trivial",
            "desk home": "/desk/",
            "State page": "/desk/states/AB",
            "request page": "/desk/requests/29",
            "search": "/desk/search?q=blanchiment",
        }
        results = {name: measure(client, path, args.runs) for name, path in pages.items()}
        base = results["trivial route"][1]
        for name, (median, p95, queries) in results.items():
            print(f"{name:14} median {median:7.1f} ms  p95 {p95:7.1f} ms  {queries:3} queries")
        worst = max(p95 for name, (_m, p95, _q) in results.items() if name != "trivial route")
        print(
            f"slowest desk page p95 {worst:.1f} ms (target 200 ms); trivial route p95 "
            f"{base:.2f} ms; ratio {worst / base:.0f}"
        )
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
