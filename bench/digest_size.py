"""Size of a digest of three requests, in each of the six languages and in each
language with English (to a focal point with no language set) (target: under 8 KB).

Baseline, in the same run: a single-request reminder to the same focal point.

    .venv/bin/python bench/digest_size.py
"""

from __future__ import annotations

from datetime import date, timedelta

from common import LANG_STATES, make_app, seed_states


def main() -> None:
    app, settings = make_app()
    from sqlalchemy import select

    from bot import db, service
    from bot.model import Contact, Message, State
    from bot.requests import open_request

    with app.app_context():
        with db.session() as s:
            seed_states(s)
            for lang, code in LANG_STATES.items():
                state = s.get_one(State, code)
                three = ("questionnaire", "directory_update", "clarification")
                for who, kinds, langs in (
                    ("digest", three, [lang]),
                    ("single", ("questionnaire",), [lang]),
                    ("pair", three, []),
                ):
                    c = Contact(
                        state=state,
                        role="focal_point",
                        name="Focal Point",
                        emails=[f"{who}.{code}@example.org"],
                        languages=langs,
                    )
                    s.add(c)
                    s.flush()
                    for kind in kinds:
                        open_request(
                            s,
                            state,
                            kind,
                            date.today() + timedelta(days=30),
                            contact=c,
                            instrument_code="UNTOC",
                            cycle="2026-2027",
                            subject="Article 16: which authority handles extradition requests?",
                        )
        service.plan(settings)
        with db.session() as s:
            rows = s.scalars(select(Message)).all()
            sizes = {(m.language, m.kind): len(m.raw) for m in rows}
    parts = []
    for lang in LANG_STATES:
        d, one = sizes[(lang, "digest")], sizes[(lang, "reminder")]
        parts.append(f"{lang} {d} B ({d / one:.2f}x a single reminder of {one} B)")
    pairs = [
        f"{lang} {size} B"
        for (lang, kind), size in sorted(sizes.items())
        if kind == "digest" and lang and "," in lang
    ]
    largest = max(size for (_lang, kind), size in sizes.items() if kind == "digest")
    print("three-request digest: " + "; ".join(parts))
    print("in two languages: " + "; ".join(pairs) + f"; largest digest {largest} B (target < 8192)")


if __name__ == "__main__":
    main()
