"""Core commands: run, db upgrade, tick, requests, audit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy import func, select
from werkzeug.serving import run_simple

from .. import audit, audit_checkpoint, broker, db, service
from ..auth import ensure_admin
from ..directory.seed import demo_directory_users, seed, seed_demo
from ..folders import FolderError, ensure_folders
from ..model import Instrument, Request, State
from ..requests import message_counts, open_request
from .base import CliError, load_app


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    load_app(database="migrate")
    click.echo("database is up to date")


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint file (or an email holding one) the log must still hold.",
)
def audit_verify(checkpoint: Path | None) -> None:
    """Walk the HMAC chain; exit 1 naming the first broken event.

    With --checkpoint, check the checkpoint's signature too, and that the log still holds
    its event with the same hash; say how many events were added since.
    """
    app = load_app()
    key = app.config["FOCALBOT"].audit_key
    with db.session() as s:
        if checkpoint is None:
            result = audit.verify(s, key)
            ok, message = result.ok, result.message()
        else:
            try:
                text = checkpoint.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CliError(f"cannot read the checkpoint {checkpoint}: {exc}") from None
            checked = audit_checkpoint.check(s, key, text)
            ok, message = checked.ok, checked.message
    if ok:
        click.echo(message)
        return
    click.echo(message, err=True)
    raise SystemExit(1)


@audit_group.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint to this file instead of AUDIT_CHECKPOINT_DIR.",
)
def audit_checkpoint_command(out: Path | None) -> None:
    """Write the audit log's head, signed with the audit key, to a file (and mail it to
    AUDIT_CHECKPOINT_TO); exit 1, writing nothing, when the chain does not verify."""
    app = load_app()
    try:
        with app.app_context(), db.session() as s:
            written = audit_checkpoint.write(s, app.config["FOCALBOT"], out)
    except audit_checkpoint.CheckpointRefused as exc:
        click.echo(f"no checkpoint written: {exc}", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        raise CliError(f"cannot write the checkpoint: {exc}") from None
    click.echo(written.message())


@click.command("tick")
def tick_command() -> None:
    """One planning pass, sending what is due, and one mailbox poll, in the foreground.

    It does not migrate the database: after an update, run `focalbot db upgrade` first
    (until then tick stops with exit status 2, sending nothing).
    """
    app = load_app(starts=True)
    settings = app.config["FOCALBOT"]
    with app.app_context():
        result = service.tick(settings)
    click.echo(
        f"planned {len(result.plan.queued)}, sent {result.sent}, retrying {result.retried}, "
        f"failed {result.failed}; mailbox: {result.poll}"
    )
    for problem in result.plan.problems + result.problems:
        click.echo(f"  problem: {problem}", err=True)


@click.group("requests")
def requests_group() -> None:
    """Requests to States."""


@requests_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--status", help="Only requests with this status.")
@click.option("--state", "state_code", help="Only requests to this State (ISO code).")
def requests_list(as_json: bool, status: str | None, state_code: str | None) -> None:
    """List requests with their message counts."""
    load_app()
    today = date.today()
    with db.session() as s:
        query = select(Request).order_by(Request.id)
        if status:
            query = query.where(Request.status == status)
        if state_code:
            query = query.where(Request.state_code == state_code.upper())
        requests = list(s.scalars(query))
        counts = message_counts(s, [r.id for r in requests])
        rows = [
            {
                "id": r.id,
                "state": r.state_code,
                "kind": r.kind,
                "instrument": r.instrument_code,
                "cycle": r.cycle,
                "status": r.status,
                "due": r.due_date.isoformat(),
                "overdue": r.status == "open" and r.due_date < today,
                "outbound": counts[r.id]["out"],
                "inbound": counts[r.id]["in"],
            }
            for r in requests
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        flag = " OVERDUE" if r["overdue"] else ""
        click.echo(
            f"{r['id']:>5}  {r['state']}  {r['kind']:<22} {r['status']:<9} due {r['due']}"
            f"  out {r['outbound']} in {r['inbound']}{flag}"
        )


@requests_group.command("create")
@click.option("--state", "state_code", required=True, help="ISO 3166 code of the State.")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        ["questionnaire", "directory_update", "clarification", "technical_assistance"]
    ),
)
@click.option(
    "--due", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Due date, YYYY-MM-DD."
)
@click.option("--instrument", help="Instrument code, e.g. UNTOC or TIP.")
@click.option("--cycle", default="", help="Reporting cycle, for questionnaires.")
@click.option("--subject", default="", help="What is asked, for clarification requests.")
def requests_create(
    state_code: str, kind: str, due, instrument: str | None, cycle: str, subject: str
) -> None:
    """Open a request to a State; the next planning pass sends its first email."""
    load_app()
    with db.session() as s:
        state = s.get(State, state_code.upper())
        if state is None:
            raise click.ClickException(
                f"no State with code {state_code!r}; run `focalbot seed` first"
            )
        if instrument and s.get(Instrument, instrument) is None:
            raise click.ClickException(f"no instrument {instrument!r}")
        r = open_request(
            s,
            state,
            kind,
            due.date(),
            instrument_code=instrument,
            cycle=cycle,
            subject=subject,
            actor="cli",
        )
        click.echo(f"opened request {r.id} {r.tag} to {state.code}, due {r.due_date.isoformat()}")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--no-worker", is_flag=True, help="Serve the web app only (no Celery worker and beat)."
)
def run_command(host: str, port: int, no_worker: bool) -> None:
    """Migrate, seed demo data on an empty database, and run web + worker + beat."""
    app = load_app(database="migrate", starts=True)
    settings = app.config["FOCALBOT"]
    try:
        ensure_folders(settings)
    except FolderError as exc:
        raise CliError(str(exc)) from None
    with app.app_context():
        _first_run(settings)
    children: list[subprocess.Popen] = []
    if not no_worker:
        # Before the worker and beat start: this declares the queue (and, on the embedded
        # broker, creates its tables) once, where both at once would race to insert it.
        _queue_first_plan(settings)
        # in JSON, no banner: every line of the worker's and beat's output is a JSON object
        quiet = ["--quiet"] if settings.log_format == "json" else []
        celery = [sys.executable, "-m", "celery", "-A", "tasks.celery_app", *quiet]
        children.append(subprocess.Popen(celery + ["worker", "--pool=solo", "--loglevel=INFO"]))
        children.append(
            subprocess.Popen(
                celery
                + [
                    "beat",
                    "--scheduler=tasks.beat:LeaderScheduler",  # one beat sends, others stand by
                    "--loglevel=INFO",
                    "--schedule",
                    str(settings.var_dir / "celerybeat-schedule"),
                ]
            )
        )

    def stop(*_args) -> None:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"focalbot is serving the dashboard at http://{host}:{port}/desk/")
    if settings.smtp is None:
        click.echo(f"outgoing mail is written to {settings.local_outbox}")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stop()


def _queue_first_plan(settings) -> None:
    """Ask the worker for a planning pass now, not at beat's first interval.

    The task is sent by name through the broker, so the command needs no import of ``tasks``.
    """
    from celery import Celery

    broker.prepare(settings.broker_url)
    client = Celery("focalbot", broker=settings.broker_url, set_as_current=False)
    client.conf.update(
        task_default_queue="focalbot",
        broker_connection_retry_on_startup=True,
        broker_transport_options=broker.transport_options(settings.broker_url),
    )
    try:
        client.send_task("tasks.jobs.plan")
    finally:
        client.close()


def _first_run(settings) -> None:
    """Seed the directory and demo data on an empty database; create the first admin."""
    with db.session() as s:
        empty = s.scalar(select(func.count()).select_from(State)) == 0
    demo = empty and os.environ.get("FOCALBOT_DEMO", "1") != "0"
    if demo:
        with db.session() as s:
            seed(s, actor="run")
        with db.session() as s:
            seed_demo(s, today=date.today(), actor="run")
        click.echo("seeded the UN Member States, the instruments and demo focal points")
    with db.session() as s:
        user, password = ensure_admin(s)
        directory_users = demo_directory_users(s) if demo and password else []
    if password:
        click.echo(f"first admin: {user.email}  password: {password}")
        for email, secret in directory_users:
            click.echo(f"directory user (restricted entries): {email}  password: {secret}")
        click.echo("(shown once; `focalbot user create EMAIL` sets a new password)")


COMMANDS = [db_group, audit_group, tick_command, requests_group, run_command]
