"""Where things live: pages and the COPIL document only lay out figures (no SQL, no aggregation),
argparse only in the CLI layer, one status-label table, one number formatter; and the
vocabulary's French formatting."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from perr_model import vocabulary as v

ROOT = Path(__file__).resolve().parents[1]
LAYOUT_ONLY = [*sorted((ROOT / "pages").glob("*.py")),
               *sorted((ROOT / "perr_model" / "copil").glob("*.py"))]
# SQL (select(, func., SQLAlchemy's text() — bare or as sqlalchemy.text/sa.text) and pandas
# grouping; a method called text( on something else (st.text, a column's .text, matplotlib's
# fig.text) is not SQL
FORBIDDEN = re.compile(r"(?<![\w.])select\(|\bfunc\.|(?<![\w.])text\(|\b(?:sa|sqlalchemy)\.text\("
                       r"|\bgroupby\b")


def python_files():
    return [p for p in (ROOT / "perr_model").rglob("*.py")] + \
        [p for p in (ROOT / "perr_ui").glob("*.py")] + [ROOT / "app.py"]


@pytest.mark.parametrize("path", LAYOUT_ONLY, ids=lambda p: p.name)
def test_pages_and_document_only_lay_out(path):
    hits = [f"{n}: {line.strip()}" for n, line in
            enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if FORBIDDEN.search(line)]
    assert hits == []


def test_argparse_only_in_the_cli_layer():
    users = {p.name for p in python_files() if "argparse" in p.read_text(encoding="utf-8")}
    assert users == {"cli.py", "cli_commands.py"}


def test_one_status_table_and_one_number_formatter():
    status_tables, formatters = [], []
    for p in python_files():
        body = p.read_text(encoding="utf-8")
        if re.search(r"[\"']en_projet[\"']\s*:", body):
            status_tables.append(p.name)
        if re.search(r":,(\.(\d+|\{\w+\}))?[df]\}", body):
            formatters.append(p.name)
    assert status_tables == ["vocabulary.py"]
    assert formatters == ["vocabulary.py"]


@pytest.mark.parametrize("value, shown", [
    (12345, "12\u202f345"), (0, "0"), (1234567.6, "1\u202f234\u202f568"), (None, "aucune donnée"),
    (float("nan"), "aucune donnée")])
def test_numbers(value, shown):
    assert v.number(value) == shown


def test_money_plural_labels_and_empty_values():
    assert v.euros(1847937) == "1\u202f847\u202f937\u00a0€"
    assert v.euros(4000.0) == "4\u202f000\u00a0€" and v.euros(None) == "aucun montant"
    assert v.short_euros(1834936.64) == "1,8\u00a0M€" and v.short_euros(28418) == "28,4\u00a0k€"
    assert [v.plural(n, "action") for n in (0, 1, 2)] == ["0 action", "1 action", "2 actions"]
    assert v.funder_label("etat_p147") == "État – crédits politique de la ville (P147)"
    assert v.status_label("en_cours") == "En cours" and v.status_label(None) == "non renseigné"
    assert v.axis_label(None, "Cohésion sociale", position=2) == "Axe 2 – Cohésion sociale"
    assert v.plain(None) == v.plain(float("nan")) == "non renseigné" and v.plain(2022.0) == "2022"


def _imports(path: Path) -> set[str]:
    """The modules `path` imports ("perr_model.store" for `from perr_model import store`)."""
    import ast
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"],
                         ids=lambda p: p.name)
def test_pages_write_through_the_apps_store_only(path):
    """No page opens connections or transactions itself: it writes through perr_ui.common's
    Store (`common.write()`), whose write refreshes the figures and the caches."""
    assert not any(m == "perr_model.store" or m.startswith("perr_model.store.")
                   for m in _imports(path))
    body = path.read_text(encoding="utf-8")
    assert "write_session" not in body and "data_changed" not in body


def test_stored_figures_declare_themselves():
    """figures.stored names no figure: each definition is decorated `@stored_figure`, and
    perr_model/stored_figures.py imports every module that has one (else its figures would
    silently not be stored). The store does not import the evaluation layer above it."""
    from test_import_cycles import import_graph
    graph = import_graph()
    declaring = {m for m, p in _module_paths().items()
                 if "\n@stored_figure(" in p.read_text(encoding="utf-8")}
    assert declaring == graph["perr_model.stored_figures"]
    assert {"perr_model.figures.coverage", "perr_model.evaluation.progress"} <= declaring
    assert not any(m.startswith("perr_model.evaluation") for m in graph["perr_model.figures.stored"])
    body = (ROOT / "perr_model" / "figures" / "stored.py").read_text(encoding="utf-8")
    assert "__name__ !=" not in body and "__name__ ==" not in body and " is coverage." not in body


def _module_paths() -> dict:
    from test_import_cycles import module_files
    return module_files()
