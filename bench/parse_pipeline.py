"""Benchmark of reading incoming mail.

``python bench/parse_pipeline.py [--count N] [--db-count M]``

Generates a corpus of mixed messages (replies in the six languages with quoted
history, HTML-only replies, out-of-office notices, delivery failures,
attachments) and times, on the same bytes in the same run:

(a) focalbot's pipeline without the database: parse, classify, thread (with an
    in-memory lookup), trim, extract;
(b) the baseline: ``email.message_from_bytes(policy=email.policy.default)`` and
    ``get_body()``;
(c) ingestion into a fresh SQLite database, in messages per second.

The last line holds every figure.
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import tokens  # noqa: E402
from bot.inbound.parse import parse  # noqa: E402
from bot.inbound.thread import locate  # noqa: E402

DOMAIN = "secretariat.example.org"
OURS = {"reply_local": "replies", "our_domain": DOMAIN}

REPLIES = {
    "en": (
        "Dear colleagues,\n\nThe central authority is the Ministry of Justice. We attach "
        "the questionnaire.\n\nKind regards,\nJohn Smith",
        "From: Secretariat <replies@{d}>\nSent: Monday, 3 March 2025 10:00\n"
        "To: John Smith\nSubject: {tag} Request",
    ),
    "fr": (
        "Madame, Monsieur,\n\nL'autorité centrale est le ministère de la Justice.\n\n"
        "Cordialement,\nJean Dupont",
        "De : Secrétariat <replies@{d}>\nEnvoyé : lundi 3 mars 2025 10:00\n"
        "À : Jean Dupont\nObjet : {tag} Demande",
    ),
    "es": (
        "Estimados señores:\n\nLa autoridad central es el Ministerio de Justicia.\n\n"
        "Atentamente,\nMaría García",
        "El lun, 3 mar 2025 a las 10:00, Secretaría <replies@{d}> escribió:",
    ),
    "ru": (
        "Уважаемые коллеги!\n\nЦентральным органом является Министерство юстиции.\n\n"
        "С уважением,\nИван Петров",
        "От: Секретариат <replies@{d}>\nОтправлено: 3 марта 2025 г. 10:00\n"
        "Кому: Иван Петров\nТема: {tag} Запрос",
    ),
    "zh": (
        "您好：\n\n我国的中央机关是司法部。\n\n此致\n王伟",
        "发件人: 秘书处 <replies@{d}>\n发送时间: 2025年3月3日 10:00\n"
        "收件人: 王伟\n主题: {tag} 请求",
    ),
    "ar": (
        "السادة المحترمون،\n\nنؤكد أن السلطة المركزية هي وزارة العدل.\n\nمع التحية",
        "من: الأمانة <replies@{d}>\nتم الإرسال: الاثنين، 3 مارس 2025 10:00\nإلى: أحمد\n"
        "الموضوع: {tag} طلب",
    ),
}
QUOTED = (
    "Dear Sir or Madam,\n\nThe secretariat would be grateful for your answer by 1 April 2025.\n" * 6
)
AWAY = {
    "en": "I am out of the office until 12 December and will reply on my return.",
    "fr": "Je suis absent jusqu'au 12 décembre.",
    "es": "Estaré fuera de la oficina hasta el 12 de diciembre.",
    "ru": "Я в отпуске до 12 декабря.",
    "zh": "我将休假至12月12日。",
    "ar": "أنا خارج المكتب حتى 12 ديسمبر.",
}


def _head(sender: str, to: str, subject: str, n: int, extra: str = "") -> str:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Date: Mon, 03 Mar 2025 10:00:00 +0100\r\n"
        f"Message-ID: <m{n}@gov.example>\r\nMIME-Version: 1.0\r\n{extra}"
    )


def _reply(n: int, lang: str, token: str, rid: int) -> bytes:
    new, header = REPLIES[lang]
    tag = f"[FB-{rid}]"
    body = f"{new}\n\n{header.format(d=DOMAIN, tag=tag)}\n\n{QUOTED}".replace("\n", "\r\n")
    head = _head(
        f"fp{rid}@gov.example", f"replies+{token.lower()}@{DOMAIN}", f"RE: {tag} Request", n
    )
    return (
        head
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    ).encode()


def _html(n: int, token: str, rid: int) -> bytes:
    html = (
        "<html><body><div>Yes, we confirm the entries.</div><div>Best regards</div>"
        f'<div class="gmail_quote">On Mon, 3 Mar 2025, Secretariat &lt;replies@{DOMAIN}&gt; wrote:'
        f"<blockquote>{QUOTED.replace(chr(10), '<br>')}</blockquote></div></body></html>"
    )
    head = _head(
        f"fp{rid}@gov.example", f"replies+{token.lower()}@{DOMAIN}", f"Re: [FB-{rid}] Request", n
    )
    return (head + "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()


def _away(n: int, lang: str, token: str, rid: int) -> bytes:
    head = _head(
        f"fp{rid}@gov.example",
        f"replies+{token.lower()}@{DOMAIN}",
        "Automatic reply: Request",
        n,
        "Auto-Submitted: auto-replied\r\n",
    )
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + AWAY[lang]).encode()


def _bounce(n: int, token: str, rid: int) -> bytes:
    head = _head(
        "MAILER-DAEMON@mx.gov.example",
        f"bounces+{token.lower()}@{DOMAIN}",
        "Undelivered Mail Returned to Sender",
        n,
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n',
    )
    return (
        head
        + "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Delivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.gov.example\r\n\r\n"
        f"Final-Recipient: rfc822; fp{rid}@gov.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <out-{rid}@{DOMAIN}>\r\n\r\n--B--\r\n"
    ).encode()


def _attached(n: int, token: str, rid: int, rng: random.Random) -> bytes:
    head = _head(
        f"fp{rid}@gov.example",
        f"replies+{token.lower()}@{DOMAIN}",
        f"RE: [FB-{rid}] Questionnaire",
        n,
        'Content-Type: multipart/mixed; boundary="M"\r\n',
    )
    blob = base64.encodebytes(rng.randbytes(rng.randint(2_000, 40_000))).decode()
    return (
        head + "\r\n--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Please find the questionnaire attached.\r\n"
        "--M\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="FB-{rid} questionnaire.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{blob}--M--\r\n"
    ).encode()


def corpus(count: int, requests: list[tuple[int, str]], seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    langs = list(REPLIES)
    out = []
    for n in range(count):
        rid, token = requests[n % len(requests)]
        roll = rng.random()
        if roll < 0.55:
            out.append(_reply(n, langs[n % 6], token, rid))
        elif roll < 0.70:
            out.append(_html(n, token, rid))
        elif roll < 0.80:
            out.append(_away(n, langs[n % 6], token, rid))
        elif roll < 0.90:
            out.append(_bounce(n, token, rid))
        else:
            out.append(_attached(n, token, rid, rng))
    return out


class MemoryLookup:
    def __init__(self, requests: list[tuple[int, str]]):
        self.by_token = {t: rid for rid, t in requests}
        self.ids = {rid for rid, _ in requests}

    def request_by_token(self, token):
        return self.by_token.get(token)

    def request_by_message_id(self, message_id):
        return None

    def digest_by_token(self, token):
        return []

    def digest_by_message_id(self, message_id):
        return []

    def request_kind(self, request_id):
        return None

    def request_exists(self, request_id):
        return request_id in self.ids

    def open_requests_of(self, address):
        return []


def pipeline(messages: list[bytes], lookup: MemoryLookup) -> float:
    start = time.perf_counter()
    for raw in messages:
        parsed = parse(raw, **OURS)
        locate(parsed, lookup)
    return time.perf_counter() - start


def baseline(messages: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in messages:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.get_body()
    return time.perf_counter() - start


def with_database(count: int) -> float:
    """Messages per second ingested into a fresh, migrated SQLite database."""
    from bot import config, db
    from bot import requests as reqs
    from bot.app import create_app
    from bot.inbound.ingest import ingest
    from bot.migrate import upgrade
    from bot.model import Contact, State

    tmp = Path(tempfile.mkdtemp(prefix="focalbot-bench-"))
    settings = config.load(
        {
            "FOCALBOT_VAR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench-secret-key-0123456789",
            "REPLY_ADDRESS": f"replies@{DOMAIN}",
        }
    )
    upgrade(db.make_engine(settings.database_url))
    app = create_app(settings)
    with app.app_context():
        db.init(settings.database_url)
        made: list[tuple[int, str]] = []
        with db.session() as s:
            for i in range(50):
                state = State(code=_code(i), names={"en": f"State {i}"}, un_group="WEOG")
                s.add(state)
                s.flush()
                contact = Contact(
                    state_code=state.code,
                    role="focal_point",
                    name=f"FP {i}",
                    emails=[f"fp{i + 1}@gov.example"],
                )
                s.add(contact)
                s.flush()
                r = reqs.open_request(
                    s, state, "questionnaire", date.today() + timedelta(days=30), contact=contact
                )
                made.append((r.id, r.token))
        messages = corpus(count, made, seed=11)
        start = time.perf_counter()
        for i, raw in enumerate(messages):
            ingest(raw, source=f"bench:{i}", settings=settings)
        return count / (time.perf_counter() - start)


def _code(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[i // 26] + letters[i % 26]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument(
        "--count", type=int, default=10_000, help="messages in the corpus (default 10000)"
    )
    args.add_argument(
        "--db-count", type=int, default=2_000, help="messages ingested into SQLite (default 2000)"
    )
    opts = args.parse_args()
    rng = random.Random(3)
    requests = []
    for rid in range(1, 201):
        body = "".join(rng.choice(tokens.ALPHABET) for _ in range(tokens.BODY_LENGTH))
        requests.append((rid, body + tokens.check_char(body)))
    messages = corpus(opts.count, requests)
    size = sum(map(len, messages)) / len(messages)
    lookup = MemoryLookup(requests)
    pipeline(messages[:200], lookup)
    baseline(messages[:200])
    ours = pipeline(messages, lookup)
    base = baseline(messages)
    ratio = ours / base
    print(f"corpus: {len(messages)} messages, {size / 1024:.1f} KiB on average")
    print(f"(a) pipeline without the database: {ours:.2f} s, {len(messages) / ours:.0f} messages/s")
    print(f"(b) message_from_bytes + get_body: {base:.2f} s, {len(messages) / base:.0f} messages/s")
    print(f"ratio (a)/(b): {ratio:.2f} (target at most 3)")
    rate = with_database(opts.db_count)
    print(
        f"(c) ingest on SQLite: {rate:.0f} messages/s over {opts.db_count} messages "
        "(target at least 200)"
    )
    print(
        f"RESULT messages={len(messages)} pipeline_s={ours:.2f} baseline_s={base:.2f} "
        f"ratio={ratio:.2f} "
        f"sqlite_ingest_per_s={rate:.0f}"
    )


if __name__ == "__main__":
    main()
