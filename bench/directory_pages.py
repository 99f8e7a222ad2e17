"""The online directory under a full load: 193 States and 2,000 authorities on PostgreSQL.

Serves the app on a loopback port (werkzeug, threaded) and times, one request after another
over one connection: ``/directory`` (its pages in turn) and ``/directory.json`` in full, each
against a static file of the same size served by the same server in the same run. It counts
the SQL queries each page makes (they must not grow with the data: no N+1). The last line gives
the ratios against the static file.

    bash scripts/test-services.sh && .venv/bin/python bench/directory_pages.py
"""

from __future__ import annotations

import http.client
import logging
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import drop_pg_database, fresh_pg_database, make_app

STATES = 193
AUTHORITIES = 2000
ROUNDS = 200
JSON_ROUNDS = 30


def _fill(session) -> None:
    from sqlalchemy import select

    from bot.directory.data import load_states
    from bot.directory.public import authority_types
    from bot.directory.seed import seed
    from bot.model import Contact, State, utcnow

    seed(session, actor="bench", participation=None)
    members = [r.code for r in load_states() if r.member][:STATES]
    assert len(members) == STATES, len(members)
    types = list(authority_types())
    rng = random.Random(9)
    for i in range(AUTHORITIES):
        code = members[i % STATES]
        session.add(
            Contact(
                state_code=code,
                role=types[i % len(types)],
                name=f"Authority official {i}",
                title="Director",
                organisation=f"Ministry of Justice, Department {i}",
                emails=[f"authority{i}@{code.lower()}.example.org"],
                phone=f"+1 555 {i:04d}",
                fax=f"+1 555 9{i:03d}",
                address=f"{i} Justice Avenue\nCapital City {code}",
                languages=["en", "fr"],
                info="Requests in English or French. Laws: https://example.org/laws/" + code,
                office_hours="Monday to Friday, 9.00 to 17.00",
                access="restricted" if rng.random() < 0.25 else "public",
            )
        )
    now = utcnow()
    for state in session.scalars(select(State).where(State.code.in_(members))):
        state.directory_updated_at = now


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - start
    assert resp.status == 200, (path, resp.status)
    return elapsed, len(body)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    from sqlalchemy import event
    from werkzeug.middleware.shared_data import SharedDataMiddleware
    from werkzeug.serving import make_server

    from bot import db

    url = fresh_pg_database()
    try:
        app, _settings = make_app(url)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        with app.app_context(), db.session() as s:
            _fill(s)
        queries: list[int] = [0]

        def count(*_args) -> None:
            queries[0] += 1

        event.listen(db.engine(), "before_cursor_execute", count)
        static = Path(tempfile.mkdtemp(prefix="focalbot-bench-static-"))
        served = SharedDataMiddleware(app.wsgi_app, {"/static-bench": str(static)}, cache=False)
        server = make_server("127.0.0.1", 0, served, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port)

        # Sizes, and queries per page (counted on the server's engine).
        _get(conn, "/directory")
        paths = [f"/directory?page={n}&lang=en" for n in range(1, 9)]
        paths += ["/directory/KE", "/directory?instrument=UNTOC&q=Justice", "/directory.json"]
        paths += ["/directory.csv", "/directory?group=AFR&type=extradition"]
        per_page = {}
        for path in paths:
            queries[0] = 0
            _get(conn, path)
            per_page[path] = queries[0]
        _, page_size = _get(conn, "/directory")
        _, json_size = _get(conn, "/directory.json")
        (static / "page.html").write_bytes(b"x" * page_size)
        (static / "all.json").write_bytes(b"x" * json_size)

        pages, page_static = [], []
        for i in range(ROUNDS):
            pages.append(_get(conn, f"/directory?page={i % 8 + 1}")[0])
            page_static.append(_get(conn, "/static-bench/page.html")[0])
        full, full_static = [], []
        for _ in range(JSON_ROUNDS):
            full.append(_get(conn, "/directory.json")[0])
            full_static.append(_get(conn, "/static-bench/all.json")[0])
        conn.close()
        server.shutdown()
    finally:
        drop_pg_database(url)

    for path, n in per_page.items():
        print(f"queries {n:2d}  {path}")
    print(f"/directory page: {page_size:,} B; /directory.json: {json_size:,} B")
    print(
        f"/directory p95 {_p95(pages) * 1000:.1f} ms (static file of the same size "
        f"{_p95(page_static) * 1000:.2f} ms); /directory.json in full p95 "
        f"{_p95(full) * 1000:.1f} ms (static {_p95(full_static) * 1000:.2f} ms)"
    )
    print(
        f"{STATES} States, {AUTHORITIES:,} authorities on PostgreSQL: /directory p95 "
        f"{_p95(pages) / _p95(page_static):.1f}x the static file, /directory.json "
        f"{_p95(full) / _p95(full_static):.1f}x the static file; at most "
        f"{max(per_page.values())} SQL queries per page"
    )


if __name__ == "__main__":
    main()
