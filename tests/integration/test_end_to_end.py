"""The whole loop on the real servers: PostgreSQL, Redis (Celery worker), Dovecot, SMTP.

seed → create a request → tick → the reminder arrives at the SMTP server in the
contact's language → a reply to it is appended to the Dovecot mailbox → the poll
(run by the Celery worker) files it → the request shows the reply and is answered,
a receipt goes back in French, and the audit chain verifies.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid

from .conftest import focalbot, focalbot_env, send_task, wait_until


def _reply_to(original, body: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = "Jean Dupont <fp.fr@example.org>"
    reply["To"] = original["Reply-To"]
    reply["Subject"] = "RE: " + original["Subject"]
    reply["Message-ID"] = make_msgid(domain="diplomatie.example.fr")
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    quoted = "\n".join(
        "> " + line for line in original.get_body(("plain",)).get_content().splitlines()
    )
    reply.set_content(f"{body}\n\nLe 26 nov. 2026, le secrétariat a écrit :\n{quoted}\n")
    return bytes(reply)


def test_the_whole_loop(tmp_path, pg_url, redis_url, smtp_server, dovecot, worker_factory):
    env = focalbot_env(
        tmp_path,
        DATABASE_URL=pg_url,
        CELERY_BROKER_URL=redis_url,
        SMTP_URL=smtp_server.url,
        IMAP_URL=dovecot.url,
    )
    focalbot(env, "seed")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "state,role,name,emails,languages\nFR,focal point,Jean Dupont,fp.fr@example.org,fr\n",
        encoding="utf-8",
    )
    focalbot(env, "directory", "import", str(contacts))
    created = focalbot(
        env,
        "requests",
        "create",
        "--state",
        "FR",
        "--kind",
        "clarification",
        "--due",
        "2027-01-31",
        "--subject",
        "Article 16: which authority handles extradition?",
    )
    assert "opened request 1" in created.stdout

    focalbot(env, "tick")
    (sent,) = smtp_server.wait_for(1)
    original = sent.message
    assert original["Content-Language"] == "fr"
    assert sent.rcpt_tos == ["fp.fr@example.org"]
    assert "Article 16" in original.get_body(("plain",)).get_content()

    dovecot.append(_reply_to(original, "L'autorité centrale est le ministère de la Justice."))
    worker_factory(env)
    send_task(redis_url, "tasks.jobs.poll")

    def filed() -> bool:
        rows = json.loads(focalbot(env, "requests", "list", "--json").stdout)
        return rows[0]["inbound"] == 1

    wait_until(filed, timeout=60, what="the reply to be filed under the request")
    (row,) = json.loads(focalbot(env, "requests", "list", "--json").stdout)
    assert row | {"due": None} == row | {
        "id": 1,
        "state": "FR",
        "kind": "clarification",
        "status": "answered",
        "inbound": 1,
        "due": None,
    }
    assert row["outbound"] == 2  # the request, and the receipt acknowledging the reply
    focalbot(env, "tick")
    receipt = smtp_server.wait_for(2)[1].message
    assert receipt["Content-Language"] == "fr" and receipt["In-Reply-To"] is not None
    assert receipt["To"].addresses[0].addr_spec == "fp.fr@example.org"
    assert dovecot.list_folder("INBOX") == []  # moved to the processed folder after the commit
    verified = focalbot(env, "audit", "verify")
    assert "intact" in verified.stdout

    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        text_kept = conn.execute(
            text("SELECT text FROM message WHERE direction = 'in'")
        ).scalar_one()
        seq = conn.execute(
            text("SELECT seq FROM audit_event WHERE action = 'request.opened'")
        ).scalar_one()
        # the trigger refuses the UPDATE; a superuser can turn triggers off, and verify
        # still sees the change
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            text(
                "UPDATE audit_event SET payload = replace(payload, '\"FR\"', '\"DE\"') "
                "WHERE seq = :seq"
            ),
            {"seq": seq},
        )
    engine.dispose()
    assert text_kept.strip() == "L'autorité centrale est le ministère de la Justice."
    broken = focalbot(env, "audit", "verify", check=False)
    assert broken.returncode == 1
    assert f"event {seq} " in broken.stderr
