"""`python -m perr_model`: every command declared resolves to a handler, every `--help` answers in
French, every command the Makefile runs exists, `--help` stays light, and a command that writes
leaves the stored figures up to date."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from perr_model import cli_commands
from perr_model.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
# argparse's English (Python 3.11) that must not reach an administrator
ENGLISH = ("usage:", "show this help", "positional arguments", "optional arguments", "error:",
           "the following arguments", "invalid choice", "unrecognized arguments")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perr_model", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


def _paths() -> list[tuple[str, ...]]:
    """Every command line that has a --help: the whole CLI, each group, each command; read from
    the parser itself (its sub-parsers), not from the declarations."""
    found = [()]

    def walk(parser, prefix):
        for action in parser._actions:  # noqa: SLF001 - argparse keeps sub-parsers only there
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    found.append((*prefix, name))
                    walk(sub, (*prefix, name))
    walk(build_parser(), ())
    return found


PATHS = _paths()


def test_the_parser_offers_every_command_and_group():
    # written out by hand: the commands of README/docs and of the Makefile
    expected = {("init-db",), ("build-embedded",), ("refresh-figures",),
                ("import", "protocol"), ("import", "communes"), ("import", "qpv"),
                ("import", "actions"), ("import", "posts"), ("import", "indicators"),
                ("import", "referentiel"),
                ("parse", "protocol"), ("geo", "fetch"), ("user", "create"), ("report", "copil"),
                ("territory", "create"),
                ("export", "referential"), ("export", "communes"), ("export", "qpv"),
                ("export", "funding"), ("export", "actions"), ("export", "indicators")}
    groups = {(p[0],) for p in expected if len(p) == 2}
    assert set(PATHS) == {()} | expected | groups


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "perr_model")
def test_every_help_answers_in_french(path):
    res = run_cli(*path, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    out = res.stdout
    assert out.startswith("utilisation : python -m perr_model" + "".join(f" {w}" for w in path))
    assert "-h, --help" in out and "affiche cette aide et s'arrête" in out
    assert [w for w in ENGLISH if w in out] == []
    declared = [c for c in cli_commands.COMMANDS if c.path == path]
    if declared:  # a command: its own description, as declared
        assert " ".join(declared[0].help.split()[:4]) in " ".join(out.split())


def test_every_declared_command_resolves_to_a_callable_handler():
    leaves = [p for p in PATHS if p and not any(q[:len(p)] == p and q != p for q in PATHS)]
    resolved = {}
    for path in leaves:
        parser = build_parser()
        defaults = parser
        for word in path:  # the sub-parser of each word
            defaults = next(a for a in defaults._actions  # noqa: SLF001
                            if isinstance(getattr(a, "choices", None), dict)).choices[word]
        resolved[path] = defaults.get_default("declaration")
    assert set(resolved) == {c.path for c in cli_commands.COMMANDS}
    for path, command in resolved.items():
        assert callable(command.handler), path
        # the handler is the module's function of that name (not a stale copy)
        assert getattr(cli_commands, command.handler.__name__) is command.handler, path


def test_every_value_shown_in_a_usage_has_a_french_name():
    """A value without `metavar` would be shown by its Python name (--territory TERRITORY)."""
    missing = []
    for c in cli_commands.COMMANDS:
        for flags, options in c.arguments:
            takes_value = options.get("action") in (None, "append") and "choices" not in options
            if takes_value and "metavar" not in options:
                missing.append(f"{' '.join(c.path)} {flags[0]}")
    assert missing == []


def makefile_commands() -> list[tuple[str, ...]]:
    """The words after `-m perr_model` on each line of the Makefile, up to the first option or
    make variable: `init-db --if-missing` → ("init-db",)."""
    found = []
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.search(r"-m perr_model\s+(.*)$", line)
        if match:
            words = []
            for word in shlex.split(match.group(1)):
                if word.startswith(("-", "$")) or word in (";", "&&", "||"):
                    break
                words.append(word)
            found.append(tuple(words))
    return found


def test_the_makefile_runs_perr_model_commands():
    assert ("init-db",) in makefile_commands() and ("build-embedded",) in makefile_commands()


@pytest.mark.parametrize("words", makefile_commands(), ids=" ".join)
def test_every_makefile_command_exists(words):
    res = run_cli(*words, "--help")
    assert res.returncode == 0, res.stderr
    assert words in {c.path for c in cli_commands.COMMANDS}


def test_help_imports_neither_sqlalchemy_nor_the_schema():
    code = ("import sys\nfrom perr_model.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'pandas', 'streamlit') or m in ('perr_model.schema', "
            "'perr_model.store', 'perr_model.auth')))")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_a_wrong_command_line_is_refused_in_french():
    res = run_cli("import", "actions")
    assert res.returncode == 2
    assert res.stderr.splitlines()[-1] == ("python -m perr_model import actions : erreur : "
                                           "arguments obligatoires manquants : FICHIER")
    res = run_cli("export", "actions", "--format", "pdf")
    assert res.returncode == 2
    assert ("argument --format : choix impossible : 'pdf' (choix possibles : 'csv', 'xlsx')"
            in res.stderr)
    assert [w for w in ENGLISH if w in res.stderr] == []


def test_a_command_that_writes_leaves_the_figures_stored_at_the_new_version(
        embedded_sqlite, tmp_path):
    db = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, db)
    env = {"DATABASE_URL": f"sqlite:///{db}"}

    def versions():
        with sqlite3.connect(db) as conn:
            n = conn.execute("select n from data_version where id = 1").fetchone()[0]
            stored = {v for (v,) in conn.execute("select distinct version from figure_summary")}
        return n, stored

    before, _ = versions()
    res = run_cli("import", "posts", str(ROOT / "tests/fixtures/anct/adultes-relais-2020.json"),
                  env=env)
    assert res.returncode == 0, res.stderr
    after, stored = versions()
    assert after != before  # the import changed the data
    assert stored == {after}  # and every stored figure was computed after it
    assert "Chiffres des pages mis à jour" in res.stdout
