"""The report page with 20,000 requests on PostgreSQL: p95 under 200 ms, bounded SQL queries.

Fills a fresh PostgreSQL database with the 193 States, 20,000 requests over four reporting
cycles (a tenth of them requests for clarification with their answers), their first letters
and reminders, and officers' tags; then times the report page (the whole table, one cycle, one
campaign) against a one-line route of the same app in the same run, counting the SQL queries
of each page.

    .venv/bin/python bench/report_page.py [--requests 20000] [--rounds 40]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from common import drop_pg_database, fresh_pg_database, make_app

PASSWORD = "bench password 0123456789"
CYCLES = ("2024", "2025", "2026", "2027")
STATUSES = ("answered",) * 6 + ("open",) * 3 + ("waived",)


def fill(total: int) -> int:
    from sqlalchemy import insert, select

    from bot import auth, db
    from bot.directory.seed import seed
    from bot.model import AnswerTag, Campaign, Message, OutboxItem, Request, State, Submission

    rnd = random.Random(7)
    now = datetime.now(UTC)
    with db.session() as s:
        seed(s, actor="bench", participation=None)
        auth.set_password(s, "officer@bench.example.org", PASSWORD, name="Officer", actor="bench")
        codes = list(s.scalars(select(State.code)))
        campaign = Campaign(
            kind="questionnaire",
            instrument_code="UNTOC",
            cycle="2027",
            due_date=date(2027, 6, 30),
            selection={},
            created_by="bench",
        )
        s.add(campaign)
        s.flush()
        rows = []
        for i in range(total):
            status = STATUSES[i % len(STATUSES)]
            opened = now - timedelta(days=rnd.randint(40, 400))
            cycle = CYCLES[i % 4]
            rows.append(
                {
                    "state_code": codes[i % len(codes)],
                    "kind": "clarification" if i % 10 == 0 else "questionnaire",
                    "instrument_code": ("UNTOC", "TIP", "SOM", "FIR")[i % 4],
                    "cycle": cycle,
                    "subject": "Article 5: the offence of participation" if i % 10 == 0 else "",
                    "due_date": opened.date() + timedelta(days=60),
                    "status": status,
                    "token": secrets.token_hex(8),
                    "created_at": opened,
                    "answered_at": opened + timedelta(days=rnd.randint(1, 90))
                    if status == "answered"
                    else None,
                    "paused": False,
                    "campaign_id": campaign.id if cycle == "2027" else None,
                }
            )
        for start in range(0, total, 5000):
            s.execute(insert(Request), rows[start : start + 5000])
        ids = list(s.scalars(select(Request.id).order_by(Request.id)))
        messages, items = [], []
        for n, rid in enumerate(ids):
            for step in ("request", "reminder1", "reminder2")[: 1 + n % 3]:
                messages.append(
                    {
                        "direction": "out",
                        "raw": b"",
                        "delivery": "sent",
                        "step": step,
                        "request_id": rid,
                        "to_addrs": [],
                        "created_at": now,
                    }
                )
        for start in range(0, len(messages), 5000):
            chunk = messages[start : start + 5000]
            mids = s.scalars(insert(Message).returning(Message.id), chunk).all()
            items += [
                {
                    "message_id": m,
                    "request_id": r["request_id"],
                    "step": r["step"],
                    "created_at": now,
                }
                for m, r in zip(mids, chunk, strict=True)
            ]
        for start in range(0, len(items), 5000):
            s.execute(insert(OutboxItem), items[start : start + 5000])
        clarified = [
            rid for n, rid in enumerate(ids) if n % 10 == 0 and STATUSES[n % 10] == "answered"
        ]
        s.execute(
            insert(Submission),
            [
                {
                    "request_id": rid,
                    "source": "form",
                    "data": {"answer": "The offence is in art. 12."},
                    "submitted_by": "fp@example.org",
                    "created_at": now,
                    "review": "accepted",
                    "version": 1,
                }
                for rid in ids[::10]
            ]
            + [
                {
                    "request_id": rid,
                    "source": "form",
                    "data": {"answer": "A correction."},
                    "submitted_by": "fp@example.org",
                    "created_at": now,
                    "review": "accepted",
                    "version": 2,
                }
                for rid in clarified[::3]
            ],
        )
        s.execute(
            insert(AnswerTag),
            [
                {
                    "request_id": rid,
                    "provision": f"UNTOC art. {5 + n % 12}",
                    "finding": ("compliance_issue", "difficulty")[n % 2],
                    "note": "",
                    "created_by": "bench",
                    "created_at": now,
                }
                for n, rid in enumerate(ids[::7])
            ],
        )
        return campaign.id


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    from sqlalchemy import event

    from bot import db

    url = fresh_pg_database()
    try:
        app, _ = make_app(url)
        app.config["WTF_CSRF_ENABLED"] = False  # the log-in is posted without a form page

        @app.route("/bench/ping")
        def ping() -> str:
            return "ok"

        campaign = fill(args.requests)
        with db.engine().connect() as conn:  # what autovacuum does after a bulk load
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        queries = [0]

        @event.listens_for(db.engine(), "before_cursor_execute")
        def count(*_a) -> None:
            queries[0] += 1

        client = app.test_client()
        done = client.post(
            "/desk/login", data={"email": "officer@bench.example.org", "password": PASSWORD}
        )
        assert done.status_code == 303, done.status_code
        pages = {
            "ping": "/bench/ping",
            "report": "/desk/reports",
            "report, one cycle": "/desk/reports?cycle=2027",
            "campaign": f"/desk/campaigns/{campaign}",
        }
        times: dict[str, list[float]] = {name: [] for name in pages}
        counted: dict[str, int] = {}
        for name, path in pages.items():  # warm up, and count each page's queries once
            queries[0] = 0
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counted[name] = queries[0]
        for _ in range(args.rounds):
            for name, path in pages.items():
                start = time.perf_counter()
                client.get(path)
                times[name].append((time.perf_counter() - start) * 1000)
        base = p95(times["ping"])
        for name in pages:
            print(
                f"{name:<18} p95 {p95(times[name]):7.1f} ms  median "
                f"{statistics.median(times[name]):7.1f} ms  {counted[name]:>2} SQL queries"
            )
        worst = max(p95(times[n]) for n in pages if n != "ping")
        print(
            f"report page p95 {worst:.1f} ms with {args.requests} requests (target < 200 ms), "
            f"{max(counted[n] for n in pages if n != 'ping')} SQL queries at most, "
            f"ratio to the one-line route {worst / base:.0f}x"
        )
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
