"""Planning cost follows what is due, not the size of the request table.

Times one planning pass over 10,000 open requests of which 1,000 are due, then
over 100,000 open requests of which 1,000 are due (the same 1,000 letters are
written each time), in the same run. Target: the second costs at most 1.5
times the first.

    .venv/bin/python bench/planning_scale.py [--postgres] [--due 1000]
"""

from __future__ import annotations

import argparse
import secrets
import time
from datetime import UTC, date, datetime, timedelta

from common import LANG_STATES, drop_pg_database, fresh_pg_database, make_app, seed_states


def fill(total: int, due: int) -> None:
    from sqlalchemy import insert

    from bot import db
    from bot.model import Contact, Request

    now = datetime.now(UTC)
    later = now + timedelta(days=30)
    codes = list(LANG_STATES.values())
    with db.session() as s:
        contacts = []
        for i in range(due):
            code = codes[i % 6]
            c = Contact(
                state_code=code,
                role="mla",
                name=f"Authority {i}",
                emails=[f"a{i}@example.org"],
                languages=[next(k for k, v in LANG_STATES.items() if v == code)],
            )
            s.add(c)
            contacts.append(c)
        s.flush()
        rows = []
        for i in range(total):
            rows.append(
                {
                    "state_code": codes[i % 6],
                    "kind": "directory_update",
                    "cycle": "",
                    "subject": "",
                    "due_date": date.today() + timedelta(days=30),
                    "status": "open",
                    "contact_id": contacts[i].id if i < due else contacts[i % due].id,
                    "token": secrets.token_hex(8),
                    "created_at": now,
                    "paused": False,
                    "next_action_at": now - timedelta(minutes=1) if i < due else later,
                }
            )
            if len(rows) == 5000:
                s.execute(insert(Request), rows)
                rows = []
        if rows:
            s.execute(insert(Request), rows)


def one_pass(total: int, due: int, postgres: bool) -> float:
    url = fresh_pg_database() if postgres else None
    app, settings = make_app(url)
    from bot import db, service

    with app.app_context():
        with db.session() as s:
            seed_states(s)
        fill(total, due)
        t = time.perf_counter()
        result = service.plan(settings)
        elapsed = time.perf_counter() - t
        assert len(result.queued) == due, (len(result.queued), result.problems[:3])
    if url:
        drop_pg_database(url)
    else:
        db.engine().dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    one_pass(1_000, 50, args.postgres)  # warm up: templates compiled, modules imported
    small = one_pass(10_000, args.due, args.postgres)
    large = one_pass(100_000, args.due, args.postgres)
    print(
        f"planning pass, {args.due} due ({'PostgreSQL' if args.postgres else 'SQLite'}): "
        f"10,000 open {small:.2f} s; 100,000 open {large:.2f} s; ratio {large / small:.2f} "
        "(target <= 1.5)"
    )


if __name__ == "__main__":
    main()
