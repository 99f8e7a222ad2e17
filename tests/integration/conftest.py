"""Real Celery worker and beat processes on Redis, and the focalbot command, for integration
tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


CELERY = [sys.executable, "-m", "celery", "-A", "tasks.celery_app"]
WORKER = ["worker", "--pool=solo", "--without-heartbeat", "--without-mingle", "--without-gossip"]


class Worker:
    """A Celery worker process (or, given ``args`` and ``ready``, another celery command)."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        args: list[str] = WORKER,
        ready: str = " ready.",
    ):
        self.env = env
        self.log_path = log_path
        self.args = args
        self.ready = ready
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []
        self.stamped: list[tuple[float, str]] = []  # (time.monotonic() when read, line)

    def start(self, timeout: float = 60) -> None:
        cmd = [*CELERY, *self.args, "--loglevel=INFO"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        ready = threading.Event()

        def pump() -> None:
            assert self.proc and self.proc.stdout
            with open(self.log_path, "a") as log:
                for line in self.proc.stdout:
                    self.lines.append(line)
                    self.stamped.append((time.monotonic(), line))
                    log.write(line)
                    if self.ready in line:
                        ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise AssertionError(
                f"celery {self.args[0]} did not start:\n" + "".join(self.lines[-40:])
            )

    def kill(self) -> None:
        assert self.proc
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def focalbot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "IMAP_", "DATABASE_", "CELERY_"))
    }
    env.update(
        FOCALBOT_VAR=str(tmp_path / "var"),
        SECRET_KEY="integration-secret-key-0123456789",
        REPLY_ADDRESS="replies@secretariat.example.org",
        MAIL_FROM="UNTOC secretariat <secretariat@secretariat.example.org>",
        PUBLIC_URL="http://bot.example.org",
        PYTHONPATH=str(ROOT),
        POLICY_FILE=str(ROOT / "bot" / "data" / "policies" / "demo.toml"),
    )
    env.update(extra)
    return env


def focalbot(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"focalbot {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
            f"{result.stderr}"
        )
    return result


@pytest.fixture
def worker_factory(tmp_path):
    workers: list[Worker] = []

    def make(env: dict[str, str]) -> Worker:
        w = Worker(env, tmp_path / "worker.log")
        w.start()
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.stop()


def send_task(broker_url: str, name: str, *args) -> None:
    from celery import Celery

    client = Celery("focalbot-test-client", broker=broker_url)
    client.conf.task_default_queue = "focalbot"
    client.send_task(name, args=args)
    client.close()


def wait_until(predicate, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
