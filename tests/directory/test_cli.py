from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from bot import audit, db
from bot.cli import main
from bot.model import Contact, Request, State

ROWS = (
    "state,role,emails,name\nKE,focal_point,fp.ke@example.org,Grace\n"
    "SN,mla,mla.sn@example.org,Aminata\n"
)


def _run(cli_env, *args):
    return CliRunner().invoke(main, list(args), env=cli_env, catch_exceptions=False)


def _count(model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_seed_prints_counts_and_is_safe_to_repeat(cli_env):
    first = _run(cli_env, "seed")
    assert first.exit_code == 0, first.output
    assert "States: 195 added" in first.output
    second = _run(cli_env, "seed")
    assert "States: 0 added, 0 updated" in second.output
    assert _count(State) == 195


def test_seed_demo(cli_env):
    result = _run(cli_env, "seed", "--demo")
    assert result.exit_code == 0, result.output
    assert "languages: ar, zh, en, fr, ru, es" in result.output
    assert _count(Request) > 6
    again = _run(cli_env, "seed", "--demo")
    assert "0 contacts added, 0 requests opened" in again.output


def test_import_then_dry_run(cli_env, tmp_path):
    _run(cli_env, "seed")
    path = tmp_path / "contacts.csv"
    path.write_text(ROWS, encoding="utf-8")
    dry = _run(cli_env, "directory", "import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "2 contacts would be added" in dry.output
    assert _count(Contact) == 0
    real = _run(cli_env, "directory", "import", str(path))
    assert (
        real.exit_code == 0 and "2 contacts were added, 0 were updated, 0 unchanged" in real.output
    )
    assert _count(Contact) == 2
    with db.session() as s:
        assert audit.verify(s).ok


def test_import_with_bad_rows_exits_1_listing_them(cli_env, tmp_path):
    _run(cli_env, "seed")
    path = tmp_path / "contacts.csv"
    path.write_text(
        ROWS + "ZZ,focal_point,fp.zz@example.org,X\nKE,nobody,x@example.org,Y\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["directory", "import", str(path)], env=cli_env)
    assert result.exit_code == 1
    assert "row 4: state: unknown State 'ZZ'" in result.stderr
    assert "row 5: role: unknown role 'nobody'" in result.stderr
    assert "2 row(s) with problems; nothing was imported" in result.stderr
    assert _count(Contact) == 0


def test_import_of_an_unreadable_file_exits_1(cli_env, tmp_path):
    _run(cli_env, "seed")
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"not a workbook")
    result = CliRunner().invoke(main, ["directory", "import", str(path)], env=cli_env)
    assert result.exit_code == 1
    assert "not a readable XLSX workbook" in result.stderr


def test_a_large_import_shows_progress(cli_env, tmp_path):
    _run(cli_env, "seed")
    path = tmp_path / "contacts.csv"
    lines = "".join(f"KE,mla,mla{i}.ke@example.org,Officer {i}\n" for i in range(250))
    path.write_text("state,role,emails,name\n" + lines, encoding="utf-8")
    result = CliRunner().invoke(main, ["directory", "import", str(path)], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr
    assert "250 contacts were added" in result.stdout


def test_directory_export_writes_the_format_its_extension_names(cli_env, tmp_path):
    _run(cli_env, "seed", "--demo")
    for suffix, start in (("csv", b"state,role,instrument"), ("json", b"{"), ("xlsx", b"PK")):
        path = tmp_path / f"all.{suffix}"
        result = _run(cli_env, "directory", "export", str(path))
        assert result.exit_code == 0 and "contacts written" in result.output, result.output
        assert path.read_bytes().startswith(start)
    text = (tmp_path / "all.csv").read_text("utf-8")
    assert ",restricted," in text and ",public," in text
    wrong = _run(cli_env, "directory", "export", str(tmp_path / "all.txt"))
    assert wrong.exit_code != 0 and ".csv, .xlsx or .json" in wrong.output


def test_the_first_run_prints_the_admin_and_the_demo_directory_user(cli_env, monkeypatch):
    from bot.cli import base, core

    monkeypatch.setenv("FOCALBOT_DEMO", "1")
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    base.load_app(database="migrate")
    printed: list[str] = []
    monkeypatch.setattr(core.click, "echo", lambda text="", **_: printed.append(str(text)))
    core._first_run(None)
    text = "\n".join(printed)
    assert "first admin: admin@localhost  password: " in text
    assert "directory user (restricted entries): directory@localhost  password: " in text
    with db.session() as s:
        assert _count(Contact) > 20 and s.scalar(select(func.count()).select_from(State)) == 195
