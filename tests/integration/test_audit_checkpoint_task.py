"""The daily audit checkpoint: its beat entry, and its task run by a real worker."""

from __future__ import annotations

import json
import subprocess
import sys

from bot import audit, audit_checkpoint, db

from .conftest import ROOT, focalbot_env, send_task, wait_until

SHOW_ENTRY = """
from tasks.celery_app import app
app.loader.import_default_modules()
entry = app.conf.beat_schedule["audit-checkpoint"]
s = entry["schedule"]
print(entry["task"], entry["task"] in app.tasks)
days = (s.day_of_week, s.day_of_month, s.month_of_year)
print(sorted(s.minute), sorted(s.hour), *(len(d) for d in days))
"""


def test_beat_has_a_daily_audit_checkpoint_entry(tmp_path):
    shown = subprocess.run(
        [sys.executable, "-c", SHOW_ENTRY],
        cwd=ROOT,
        env=focalbot_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.splitlines() == [
        "tasks.jobs.audit_checkpoint True",
        "[15] [2] 7 31 12",  # at 02:15 UTC every day
    ]


def test_the_checkpoint_task_writes_a_file_through_the_worker(
    tmp_path, session, settings, redis_url, worker_factory
):
    for i in range(3):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i)
    session.commit()
    env = focalbot_env(tmp_path, DATABASE_URL=settings.database_url, CELERY_BROKER_URL=redis_url)
    worker_factory(env)
    send_task(redis_url, "tasks.jobs.audit_checkpoint")
    folder = settings.audit_checkpoint_dir
    wait_until(lambda: folder.is_dir() and any(folder.glob("*.json")), what="a checkpoint file")
    (path,) = folder.glob("*.json")
    assert json.loads(path.read_text())["seq"] == 3
    with db.session() as s:
        checked = audit_checkpoint.check(s, settings.audit_key, path.read_text())
    assert checked.ok, checked.message
    assert "1 event added since (event 4)" in checked.message
