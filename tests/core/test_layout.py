"""The package's shape: bot/ does not reach into tasks/, and the CLI lives in bot/cli/."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def imports_of_tasks(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of ``tasks`` or ``tasks.*`` in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n) for n in names if n == "tasks" or n.startswith("tasks.")]
    return found


def test_the_checker_sees_every_form_of_import():
    source = "import tasks\nimport os, tasks.jobs\ndef f():\n    from tasks.jobs import plan\n"
    source += "from .tasks import x\nfrom bot import tasks_help\nx = 'tasks.celery_app'\n"
    assert imports_of_tasks(source) == [(1, "tasks"), (2, "tasks.jobs"), (4, "tasks.jobs")]


def test_nothing_under_bot_imports_tasks():
    offenders = [
        f"{path.relative_to(BOT.parent)}:{line}: import {module}"
        for path in sorted(BOT.rglob("*.py"))
        for line, module in imports_of_tasks(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_cli_is_one_package():
    leftovers = [BOT / "cli.py", BOT / "cli_core.py", BOT / "plan_cli.py", BOT / "campaign_cli.py"]
    leftovers += [BOT / sub / "cli.py" for sub in ("desk", "directory", "inbound")]
    assert [p.name for p in leftovers if p.exists()] == []
    assert (BOT / "cli" / "__init__.py").is_file()
