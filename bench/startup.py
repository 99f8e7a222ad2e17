"""How long `focalbot run` takes from launch to a serving dashboard, on an empty database.

Baseline, in the same run: a bare Flask app started by the same interpreter until it
answers its first request. The machine is shared and noisy, so the figure to compare
between runs is the ratio. With --fresh, also times a clone of this repository and
`make install` into it (network and package cache dependent: reported, not compared).

    .venv/bin/python bench/startup.py [--runs 3] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import sys
from flask import Flask
app = Flask(__name__)
@app.get("/")
def index():
    return "ok"
from werkzeug.serving import run_simple
run_simple("127.0.0.1", int(sys.argv[1]), app)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_to_serve(cmd: list[str], url: str, env: dict[str, str], timeout: float = 180) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        while time.perf_counter() - start < timeout:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{url} did not answer within {timeout} s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="also time a clone and `make install`")
    args = parser.parse_args()
    if args.fresh:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(["git", "clone", "-q", str(ROOT), f"{tmp}/clone"], check=True)
            subprocess.run(
                ["make", "-s", "install"], cwd=f"{tmp}/clone", check=True, stdout=subprocess.DEVNULL
            )
            print(f"fresh clone + make install: {time.perf_counter() - start:.1f} s")
    focalbot, bare = [], []
    for _ in range(args.runs):
        var = tempfile.mkdtemp(prefix="focalbot-bench-")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "SMTP_URL", "IMAP_URL", "CELERY_BROKER_URL")
        }
        env["FOCALBOT_VAR"] = var
        port = free_port()
        focalbot.append(
            time_to_serve(
                [sys.executable, "-m", "bot.cli", "run", "--no-worker", "--port", str(port)],
                f"http://127.0.0.1:{port}/desk/login",
                env,
            )
        )
        shutil.rmtree(var, ignore_errors=True)
        port = free_port()
        bare.append(
            time_to_serve([sys.executable, "-c", BARE, str(port)], f"http://127.0.0.1:{port}/", env)
        )
    f, b = statistics.median(focalbot), statistics.median(bare)
    print(
        f"focalbot run (empty database: migrate, seed, demo, first admin) to a serving dashboard: "
        f"median {f:.2f} s over {args.runs} runs; bare Flask app: median {b:.2f} s; ratio "
        f"{f / b:.1f}x"
    )


if __name__ == "__main__":
    main()
