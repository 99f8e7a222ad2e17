"""Scores against test suites published by other projects (../shared/corpora)."""

import json
import re

from bot.inbound.parse import ParseError, parse

OURS = {"reply_local": "replies", "our_domain": "secretariat.example.org"}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _wrap(body: str, content_type: str = "text/plain") -> bytes:
    head = (
        "From: a@example.com\nTo: replies@secretariat.example.org\nSubject: Re: test\n"
        f"Content-Type: {content_type}; charset=utf-8\n\n"
    )
    return (head + body).encode("utf-8")


def test_email_reply_trimmer_cases(shared_dir):
    root = shared_dir / "corpora" / "email_reply_trimmer"
    cases = sorted((root / "emails").glob("*.txt"))
    exact = with_signature = 0
    for case in cases:
        expected = _collapse((root / "trimmed" / case.name).read_text())
        mail = parse(_wrap(case.read_text()), **OURS)
        exact += _collapse(mail.new_text) == expected
        with_signature += _collapse(f"{mail.new_text} {mail.signature or ''}") == expected or (
            _collapse(mail.new_text) == expected
        )
    print(
        f"\nemail_reply_trimmer: {exact}/{len(cases)} new_text, "
        f"{with_signature}/{len(cases)} with signature"
    )
    assert len(cases) == 64
    assert exact >= 61


def test_talon_html_replies(shared_dir):
    cases = sorted((shared_dir / "corpora" / "talon" / "html_replies").glob("*.html"))
    good = 0
    for case in cases:
        mail = parse(_wrap(case.read_text(errors="replace"), "text/html"), **OURS)
        good += (
            re.sub(r"\s", "", mail.new_text + (mail.signature or "")) == "Hi.Iamfine.Thanks,Alex"
        )
    print(f"\ntalon html_replies: {good}/{len(cases)}")
    assert good == len(cases) == 9


def test_sisimai_bounces(shared_dir):
    root = shared_dir / "corpora" / "sisimai"
    expected = json.loads((root / "expected.json").read_text())
    kind_ok = permanent_ok = permanent_known = 0
    for name, want in expected.items():
        try:
            mail = parse((root / "emails" / name).read_bytes(), **OURS)
            kind, permanent = mail.kind, (mail.bounce or {}).get("permanent")
        except ParseError:
            kind, permanent = "unparsable", None
        if want["kind"] == "not_reply":
            kind_ok += kind != "reply"
        elif want["kind"] == "not_bounce":
            kind_ok += kind != "bounce"
        else:
            kind_ok += kind == want["kind"]
        if want["permanent"] is not None:
            permanent_known += 1
            permanent_ok += permanent == want["permanent"]
    print(f"\nsisimai: kind {kind_ok}/{len(expected)}, permanent {permanent_ok}/{permanent_known}")
    assert len(expected) == 559 and permanent_known == 531
    assert kind_ok >= 556
    assert permanent_ok >= 518


def test_talon_standard_replies(shared_dir):
    root = shared_dir / "corpora" / "talon" / "standard_replies"
    cases = sorted(root.glob("*.eml"))
    good = 0
    for case in cases:
        expected_file = root / f"{case.stem}_reply_text"
        expected = expected_file.read_text() if expected_file.exists() else "Hello"
        mail = parse(case.read_bytes(), **OURS)
        joined = (
            [f"{mail.new_text} {mail.signature}", f"{mail.new_text} -- {mail.signature}"]
            if mail.signature
            else []
        )
        good += any(_collapse(text) == _collapse(expected) for text in [mail.new_text, *joined])
    print(f"\ntalon standard_replies: {good}/{len(cases)}")
    assert good == len(cases) == 12
