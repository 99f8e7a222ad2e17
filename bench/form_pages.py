"""What a form page weighs, as Chromium loads it: for each form kind, in each language.

Serves the app (SQLite, one open request of each kind per language) on a loopback
port and loads each form in Debian's Chromium through Playwright, counting every
request the page makes and the bytes of its HTML and CSS, as sent (compressed,
brotli) and decoded. The budget: a form page at most 10 KB of HTML and CSS
together before compression (10,240 bytes); the last line gives the heaviest page
against it.

    .venv/bin/python bench/form_pages.py
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

from common import LANG_STATES, make_app, seed_states

BUDGET = 10 * 1024


def main() -> None:
    from playwright.sync_api import Request, sync_playwright
    from werkzeug.serving import make_server

    from bot import db, kinds
    from bot.model import Contact, State
    from bot.requests import open_request

    app, _settings = make_app()
    links: list[tuple[str, str, str]] = []
    with app.app_context(), db.session() as s:
        seed_states(s)
        for lang, code in LANG_STATES.items():
            state = s.get_one(State, code)
            contact = Contact(
                state=state,
                role="focal_point",
                name="Focal Point",
                title="Director",
                organisation="Ministry of Justice",
                emails=[f"fp.{code}@example.org"],
                languages=[lang],
            )
            s.add(contact)
            s.flush()
            for kind in kinds.names():
                req = open_request(
                    s,
                    state,
                    kind,
                    date.today() + timedelta(days=30),
                    contact=contact,
                    instrument_code="UNTOC",
                    cycle="2026-2027",
                )
                links.append((kind, lang, f"/f/{req.token}"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for kind, lang, path in links:
            page = browser.new_page()
            seen: list[Request] = []

            def finished(r: Request, seen: list[Request] = seen) -> None:
                seen.append(r)

            page.on("requestfinished", finished)
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            decoded = sent = 0
            for r in seen:
                response = r.response()
                if response is None:
                    continue
                kind_of = response.headers.get("content-type", "")
                if kind_of.startswith(("text/html", "text/css")):
                    decoded += len(response.body())
                    sent += r.sizes()["responseBodySize"]
            rows.append((kind, lang, len(seen), decoded, sent))
            page.close()
        browser.close()
    server.shutdown()
    for kind in kinds.names():
        mine = [r for r in rows if r[0] == kind]
        line = "; ".join(f"{lang} {d:,} B ({c:,} B sent, {n} req)" for _, lang, n, d, c in mine)
        print(f"{kind}: {line}")
    heaviest = max(rows, key=lambda r: r[3])
    requests = max(r[2] for r in rows)
    print(
        f"heaviest form page {heaviest[0]} ({heaviest[1]}): {heaviest[3]:,} B of HTML and CSS, "
        f"{heaviest[4]:,} B sent; budget {BUDGET:,} B: {heaviest[3] / BUDGET:.2f} of it; "
        f"at most {requests} request(s) per page"
    )


if __name__ == "__main__":
    main()
