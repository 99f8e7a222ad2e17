"""Sending throughput of the outbox against plain smtplib, to a local SMTP server.

Plans 2,000 reminders to 2,000 contacts in the six languages (composed and
written to the outbox), then times sending them all through the outbox (claim,
send over one connection per batch, record, audit) against plain smtplib
sending the same pre-built bytes over one connection, in the same run.
Targets: focalbot's throughput at least 0.7 of plain smtplib's; planning within
3 times sending through the outbox (the last line gives both and their ratio).

    .venv/bin/python bench/outbox_throughput.py [--count 2000] [--postgres]
"""

from __future__ import annotations

import argparse
import smtplib
import time

from common import LANG_STATES, drop_pg_database, fresh_pg_database, make_app, seed_states


def smtp_server():
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return f"250 2.0.0 Ok: queued as B{Count.n}"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port, Count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument(
        "--postgres", action="store_true", help="use a fresh PostgreSQL database instead of SQLite"
    )
    args = parser.parse_args()
    controller, port, counter = smtp_server()
    url = fresh_pg_database() if args.postgres else None
    app, settings = make_app(url, SMTP_URL=f"smtp://127.0.0.1:{port}")
    from datetime import date, timedelta

    from sqlalchemy import select

    from bot import db, service
    from bot.model import Contact, Message, State
    from bot.requests import open_request

    with app.app_context():
        with db.session() as s:
            seed_states(s)
            states = {c: s.get_one(State, c) for c in LANG_STATES.values()}
            codes = list(LANG_STATES.values())
            for i in range(args.count):
                st = states[codes[i % 6]]
                c = Contact(
                    state=st,
                    role="mla",
                    name=f"Authority {i}",
                    emails=[f"a{i}@example.org"],
                    languages=[st.language],
                )
                s.add(c)
                s.flush()
                open_request(
                    s, st, "directory_update", date.today() + timedelta(days=30), contact=c
                )
        t = time.perf_counter()
        planned = service.plan(settings)
        plan_s = time.perf_counter() - t
        assert len(planned.queued) == args.count, planned.problems[:3]
        with db.session() as s:
            raws = [(m.to_addrs, m.raw) for m in s.scalars(select(Message).order_by(Message.id))]
        t = time.perf_counter()
        results = service.send_due(settings)
        ours = time.perf_counter() - t
        assert sum(r.outcome == "sent" for r in results) == args.count
    t = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for rcpts, raw in raws:
            smtp.sendmail("bounces@secretariat.example.org", rcpts, raw)
    plain = time.perf_counter() - t
    controller.stop()
    if url:
        drop_pg_database(url)
    size = sum(len(r) for _, r in raws) / len(raws)
    print(
        f"planning (compose + outbox) {args.count} reminders: {plan_s:.2f} s; mean size "
        f"{size:.0f} bytes"
    )
    print(
        f"sent {args.count} through the outbox "
        f"({'PostgreSQL' if args.postgres else 'SQLite'}) in {ours:.2f} s "
        f"({args.count / ours:.0f}/s); plain smtplib, one connection: {plain:.2f} s "
        f"({args.count / plain:.0f}/s); "
        f"throughput ratio {plain / ours:.2f} (target >= 0.7)"
    )
    print(
        f"planning {plan_s:.2f} s, sending {ours:.2f} s: "
        f"planning / sending {plan_s / ours:.2f} (target <= 3)"
    )


if __name__ == "__main__":
    main()
