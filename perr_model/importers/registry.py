"""Every importer behind one signature: `importer(session, actor, path, **options) -> report`.

The caller owns the session and its transaction (the CLI and the pages open a write session,
so an import writes everything or nothing); `actor` is checked by the importer; the report has
`lines()` (French, one line each) for the CLI to print or a page to show. A file the importer
refuses raises `ImportRefused` with its row-by-row problems.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ..auth import Actor, require_admin
from ..errors import ImportRefused


def communes(session: Session, actor: Actor, path, *, display_name: str | None = None):
    from .communes import load_communes
    from .datasets import record_import
    from .geofile import read_geo_file
    require_admin(actor)
    report = load_communes(session, read_geo_file(path, "communes", display_name))
    record_import(session, actor, "commune", report)
    return report


def qpv(session: Session, actor: Actor, path, *, display_name: str | None = None):
    from .datasets import record_import
    from .geofile import read_geo_file
    from .qpv import load_qpv
    require_admin(actor)
    report = load_qpv(session, read_geo_file(path, "qpv", display_name))
    record_import(session, actor, "qpv", report)
    return report


def posts(session: Session, actor: Actor, path, *, kind: str | None = None):
    from .posts import guess_kind, import_posts
    path = Path(path)
    kind = kind or guess_kind(path.name)
    if kind is None:
        raise ImportRefused("Type de poste non deviné du nom de fichier : précisez le type "
                            "(adultes-relais ou fonjep).")
    return import_posts(session, actor, path.read_bytes(), kind, source=path.name)


def actions(session: Session, actor: Actor, path, *, territory: str | None = None,
            dry_run: bool = False, existing: str = "update"):
    """The report's lines name the ignored columns first (before any write, and when the
    file is refused)."""
    from ..figures.scope import resolve_territory
    from .actions import check_size, guess_mapping, import_actions, read_table
    path = Path(path)
    check_size(path.stat().st_size)  # before reading it into memory
    df = read_table(path.read_bytes(), path.name)
    mapping = guess_mapping(list(df.columns), df)
    territory_id = resolve_territory(session, territory).id if territory else None
    return import_actions(session, actor, df, mapping, territory_id=territory_id,
                          dry_run=dry_run, source=path.name, existing=existing)


class _ProtocolLines:
    def __init__(self, name: str, report, outline: list[str] | None = None) -> None:
        self.report, self.name, self.outline = report, name, outline

    def lines(self) -> list[str]:
        if self.outline is not None:
            return [f"Protocole lu, rien n'est écrit (essai) : {self.name}", *self.outline,
                    *self.report.summary().splitlines()]
        return [f"Protocole importé : {self.name}", *self.report.summary().splitlines()]


def protocol(session: Session, actor: Actor, path, *, territory: str, dry_run: bool = False):
    """A protocol file (text PDF, Word DOCX or Markdown) parsed then loaded; with `dry_run`,
    parsed only: the report lists every item found and the lines left unplaced."""
    from .protocol import (
        context_from_db, find_territory, load_referential, parse_protocol, read_protocol,
        ProtocolReport,
    )
    from .protocol_review import outline, to_items
    require_admin(actor)
    row = find_territory(session, territory)
    doc = parse_protocol(read_protocol(path), row.slug, context=context_from_db(session, row),
                         source=Path(path).name)
    report = ProtocolReport.from_dict(doc["report"])
    if dry_run:
        return _ProtocolLines(Path(path).name, report, outline(to_items(doc)))
    written = load_referential(session, row, doc)
    report.counts.update({f"base : {k}": v for k, v in written.items()})
    return _ProtocolLines(Path(path).name, report)


IMPORTERS = {"communes": communes, "qpv": qpv, "posts": posts, "actions": actions,
             "protocol": protocol}
