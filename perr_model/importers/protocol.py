"""PERR protocol importer: document (PDF, DOCX, Markdown) → reviewed referential (YAML shape) → store.

- `read_protocol(path)` gives the document's lines (protocol_documents: one line reader per
  format, one parser for all).
- `parse_protocol(text or lines, territory_slug)` is pure: it returns the referential as a dict, the
  shape of data/referential/<slug>.yaml, with a report of what it could not place.
- `load_referential(session, territory, doc)` writes such a dict (called by init-db for the
  embedded YAML files), upserting on natural keys (positions within their parent, action
  references) so that a re-import creates nothing and keeps ids stable.
- `import_protocol(engine_or_url, path, territory)` does both in one transaction.

A malformed document (empty, binary, no axis nor commune heading, a group without objectives,
another territory's document) raises MalformedDocument before anything is written.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .. import settings
from ..errors import ImportRefused, MalformedDocument
from ..schema import Commune, Territory
from .protocol_axes import is_axis_heading, parse_axes
from .protocol_communes import is_commune_heading, parse_communes
from .protocol_decisions import carry_review, decision_of, reviewed_referential
from .protocol_text import PILLAR_KEYWORDS, Line, compact, read_lines


# --- report and context -------------------------------------------------------------------------

@dataclass
class ProtocolReport:
    """What a parse/import did: counts, lines it could not place, and notes (all in French)."""
    counts: dict[str, int] = field(default_factory=dict)
    unplaced_lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def unplaced(self, line: Line, reason: str) -> None:
        text = line.text if len(line.text) <= 140 else line.text[:140] + " …"
        self.unplaced_lines.append(f"ligne {line.number} : {reason} : « {text} »")

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def note(self, text: str) -> None:
        self.notes.append(text)

    def as_dict(self) -> dict:
        return {"counts": dict(self.counts), "unplaced": list(self.unplaced_lines),
                "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, data: dict | None) -> ProtocolReport:
        data = data or {}
        return cls(dict(data.get("counts", {})), list(data.get("unplaced", [])),
                   list(data.get("notes", [])))

    def summary(self) -> str:
        lines = ["; ".join(f"{k} : {v}" for k, v in self.counts.items())]
        lines += [f"Non placé — {u}" for u in self.unplaced_lines]
        lines += [f"Note — {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class TerritoryContext:
    """What the parser needs to know of a territory: its name, communes and named quartiers."""
    slug: str
    name: str
    communes: dict[str, str]                           # INSEE code → name
    # INSEE code → quartier name → other spellings
    quartiers: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def context_from_data(territory: str, folder: Path | None = None) -> TerritoryContext:
    """Context of `territory` (slug or name, any case/accents) from the embedded data/ files."""
    folder = Path(folder or settings.get("PERR_DATA_DIR"))
    meta = yaml.safe_load((folder / "territories.yaml").read_text(encoding="utf-8"))
    found = [t for t in meta["territories"] if _same_territory(territory, t["slug"], t["name"])]
    if not found:
        known = ", ".join(t["name"] for t in meta["territories"])
        raise ImportRefused(f"Territoire inconnu : « {territory} » (connus : {known}).")
    slug, name = found[0]["slug"], found[0]["name"]
    with (folder / "communes.csv").open(encoding="utf-8", newline="") as fh:
        communes = {r["insee_code"]: r["name"] for r in csv.DictReader(fh)
                    if r["territory"] == slug}
    quartiers: dict[str, dict[str, list[str]]] = {}
    with (folder / "qpv.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            for code in r["communes"].split("|"):
                if code in communes:
                    aliases = [a for a in r["aliases"].split("|") if a]
                    quartiers.setdefault(code, {})[r["name"]] = aliases
    return TerritoryContext(slug, name, communes, quartiers)


def context_from_db(session: Session, territory: Territory) -> TerritoryContext:
    communes = session.scalars(select(Commune).where(Commune.territory_id == territory.id)).all()
    quartiers = {c.insee_code: {q.name: (q.aliases.split("|") if q.aliases else [])
                                for q in c.qpvs} for c in communes}
    return TerritoryContext(territory.slug, territory.name,
                            {c.insee_code: c.name for c in communes}, quartiers)


def _same_territory(wanted: str, slug: str, name: str) -> bool:
    return compact(wanted) in (compact(slug), compact(name))


def find_territory(session: Session, territory: str) -> Territory:
    """The stored territory whose slug or name is `territory` (case and accents ignored)."""
    from ..figures.scope import find_territory   # the one territory look-up
    row = find_territory(session, territory)
    if row is not None:
        return row
    rows = session.scalars(select(Territory).order_by(Territory.id)).all()
    known = ", ".join(r.name for r in rows) or "aucun : lancez init-db"
    raise ImportRefused(f"Territoire inconnu : « {territory} » (connus : {known}).")


# --- parsing ----------------------------------------------------------------------------------

def read_document(path: str | Path) -> str:
    """Text of a protocol file; MalformedDocument for an empty, binary or non UTF-8 file."""
    from .protocol_documents import markdown_text
    return markdown_text(Path(path).read_bytes(), Path(path).name)


def read_protocol(path: str | Path) -> list[Line]:
    """Lines of a protocol file (text PDF, Word DOCX or Markdown); MalformedDocument if it
    cannot be read (a scanned PDF without text included)."""
    from .protocol_documents import document_lines
    return document_lines(Path(path).read_bytes(), Path(path).name)[0]


def parse_protocol(text: str | list[Line], territory_slug: str, *,
                   context: TerritoryContext | None = None, source: str | None = None,
                   reviewed: dict | None | bool = True) -> dict:
    """The referential of a protocol document, as the dict written to data/referential/*.yaml.

    `text` is the Markdown text, or the lines of any format (`read_protocol`). No database.
    Raises MalformedDocument if the structure cannot be read. The lines of its « actions en
    cours » lists take the decisions of `reviewed` (by default the territory's reviewed
    referential in data/referential, if any; False: none), see protocol_decisions.
    """
    if isinstance(text, list):
        lines = text
        text = "\n".join(ln.text for ln in lines)
    else:
        lines = None
    if not text or not text.strip():
        raise MalformedDocument("Le document est vide.")
    if "\x00" in text:
        raise MalformedDocument("Le document est un fichier binaire, un texte Markdown est "
                                "attendu.")
    ctx = context or context_from_data(territory_slug)
    lines = lines if lines is not None else read_lines(text)
    has_communes = any(is_commune_heading(ln) for ln in lines)
    has_axes = any(is_axis_heading(ln) for ln in lines)
    if not has_communes and not has_axes:
        raise MalformedDocument(
            "Aucun titre d'axe (« Axe 1 – … ») ni de commune (« Orientations et objectifs du "
            "contrat de ville de la commune de … ») : ce n'est pas un protocole lisible.")
    if compact(ctx.name) not in compact(text):
        raise MalformedDocument(
            f"Le document ne mentionne pas le territoire « {ctx.name} » : mauvais territoire ?")
    report = ProtocolReport()
    doc: dict = {"territory": ctx.slug, "source": source, "shape": None}
    if has_communes:
        doc["shape"] = "communes"
        doc.update(parse_communes(lines, ctx, report))
        if reviewed is True:
            reviewed = reviewed_referential(ctx.slug)
        carry_review(doc, reviewed or None, report)
    else:
        doc["shape"] = "axes"
        doc["axes_from_pillars"] = False
        doc.update(parse_axes(lines, ctx, report))
    doc["pillar_keywords"] = [{"pillar": code, "keywords": words}
                              for code, words in PILLAR_KEYWORDS]
    report.counts = {**referential_counts(doc), **report.counts}
    doc["report"] = report.as_dict()
    return doc


def referential_counts(doc: dict) -> dict[str, int]:
    """Counts of a parsed referential, in the words of the interface."""
    axes = doc.get("axes", [])
    sos = [so for a in axes for so in a["strategic_objectives"]]
    groups = [g for so in sos for g in so["groups"]]
    counts = {"axes": len(axes), "objectifs stratégiques": len(sos),
              "objectifs numérotés": len(groups),
              "objectifs opérationnels": sum(len(g["objectives"]) for g in groups),
              "exemples d'actions": sum(len(g["examples"]) for g in groups)}
    if doc.get("shape") == "axes":
        counts.update({"instances de gouvernance": len(doc.get("governance", [])),
                       "signataires": len(doc.get("signatories", [])),
                       "cités éducatives": len(doc.get("cites_educatives", []))})
    for commune in doc.get("communes", []):
        commitments = [c for t in commune["themes"] for c in t["commitments"]]
        lines = [decision_of(a) for c in commitments for a in c["actions"]]
        counts[f"{commune['name']} : thématiques"] = len(commune["themes"])
        counts[f"{commune['name']} : engagements"] = len(commitments)
        counts[f"{commune['name']} : actions en cours"] = lines.count("action")
        if len(lines) > lines.count("action"):
            counts[f"{commune['name']} : lignes notées comme contexte d'un engagement"] = \
                lines.count("note")
            counts[f"{commune['name']} : lignes écartées"] = lines.count("dropped")
    return counts


def dump_yaml(doc: dict) -> str:
    header = (f"# Référentiel PERR de « {doc['territory']} », produit par\n"
              f"#   python -m perr_model parse protocol {doc.get('source') or 'FICHIER'} "
              f"--territory {doc['territory']}\n"
              "# puis relu contre le document. Chargé par `python -m perr_model init-db`.\n"
              "# Lignes des « actions en cours » : decision action (une action), note (contexte\n"
              "# noté sur son engagement) ou dropped (écartée), avec reason et line (sa ligne).\n")
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


# --- loading ------------------------------------------------------------------------------------

def load_referential(session: Session, territory: Territory, doc: dict) -> dict[str, int]:
    """Write a parsed/reviewed referential into the store (inside the caller's transaction)."""
    from .protocol_load import load
    return load(session, territory, doc)


def import_protocol(engine_or_url: Engine | str, path: str | Path, territory: str
                    ) -> ProtocolReport:
    """Parse `path` then load it, in one transaction: all or nothing."""
    from ..store import make_engine, write_session
    lines = read_protocol(path)
    engine = make_engine(engine_or_url, read_only=False) if isinstance(
        engine_or_url, str) else engine_or_url
    try:
        with write_session(engine) as session:
            row = find_territory(session, territory)
            doc = parse_protocol(lines, row.slug, context=context_from_db(session, row),
                                 source=Path(path).name)
            written = load_referential(session, row, doc)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
    report = ProtocolReport.from_dict(doc["report"])
    report.counts.update({f"base : {k}": v for k, v in written.items()})
    return report


__all__ = ["ProtocolReport", "TerritoryContext", "parse_protocol", "load_referential",
           "import_protocol", "context_from_data", "context_from_db", "find_territory",
           "read_document", "read_protocol", "dump_yaml"]
