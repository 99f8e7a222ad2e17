"""A short chaos run (bench/chaos.py) on the real servers: 20 States, 200 letters, 100
inbound messages, workers killed, Redis restarted, the SMTP server stopped, IMAP
connections dropped; its checks (nothing lost, nothing twice, nothing stuck, the audit
chain) all pass."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_a_short_chaos_run_loses_nothing_and_sends_nothing_twice(capsys):
    sys.path.insert(0, str(BENCH))
    try:
        import chaos
    finally:
        sys.path.remove(str(BENCH))
    code = chaos.main(
        [
            "--states", "20", "--emails", "200", "--replies", "100", "--seed", "11",
            "--duration", "30", "--smtp-outage", "6", "9", "--redis-restarts", "1",
        ]
    )
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert code == 0, out[-4000:]
    assert "all checks passed" in last
    assert "FAIL " not in out
