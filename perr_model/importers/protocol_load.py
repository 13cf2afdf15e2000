"""Writes a parsed referential (the YAML shape) into the store, inside the caller's transaction.

Upserts on natural keys so that loading the same referential twice changes nothing and keeps
every id: axes by position in the territory, strategic objectives / groups / objectives /
examples by position in their parent, commitments by (commune, theme position, position),
protocol actions by their reference. Rows the document no longer has are deleted (referential)
or archived (actions, which users may have enriched).
"""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import MalformedDocument
from ..schema import (
    Action, Axis, CiteEducative, CiteEducativeObjective, Commitment, Commune, ExampleAction,
    GovernanceBody, ObjectiveGroup, OperationalObjective, Pillar, Qpv, ReferentialFrame, Signatory,
    StrategicObjective, Territory,
)
from ..frames import PERR, period_years
from ..textnorm import same_place_name
from .protocol_decisions import decision_of


def load(session: Session, territory: Territory, doc: dict) -> dict[str, int]:
    if doc.get("territory") not in (None, territory.slug):
        raise MalformedDocument(f"Ce référentiel est celui de « {doc['territory']} », pas de "
                                f"« {territory.slug} ».")
    loader = _Loader(session, territory, doc)
    return loader.run()


def _iso(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class _Loader:
    def __init__(self, session: Session, territory: Territory, doc: dict):
        self.s, self.t, self.doc = session, territory, doc
        self.pillars = {p.code: p.id for p in session.scalars(select(Pillar))}
        self.communes = {c.insee_code: c for c in session.scalars(
            select(Commune).where(Commune.territory_id == territory.id))}
        self.counts: dict[str, int] = {}
        self.seen_refs: set[str] = set()

    def pillar(self, code: str | None) -> int | None:
        if code is None:
            return None
        if code not in self.pillars:
            raise MalformedDocument(f"Pilier inconnu : « {code} » (connus : "
                                    f"{', '.join(sorted(self.pillars))}).")
        return self.pillars[code]

    def commune(self, insee: str | None) -> Commune | None:
        if insee is None:
            return None
        if insee not in self.communes:
            raise MalformedDocument(f"La commune {insee} n'appartient pas au territoire "
                                    f"« {self.t.name} ».")
        return self.communes[insee]

    def sync(self, model, parent: dict, items: list, fill) -> list:
        """Rows of `model` under `parent` (column → value), one per item, matched by position."""
        where = [getattr(model, k) == v for k, v in parent.items()]
        rows = {r.position: r for r in self.s.scalars(select(model).where(*where))}
        out = []
        for pos, item in enumerate(items, 1):
            row = rows.pop(pos, None)
            if row is None:
                row = model(**parent, position=pos)
                self.s.add(row)
            fill(row, item)
            out.append(row)
        for row in rows.values():
            if model is Axis:  # commitments keep their row; they are re-mapped just after
                for c in self.s.scalars(select(Commitment).where(Commitment.axis_id == row.id)):
                    c.axis_id = None
            self.s.delete(row)
        self.s.flush()
        return out

    # --- the whole referential ---------------------------------------------------------------

    def run(self) -> dict[str, int]:
        d, t = self.doc, self.t
        t.protocol_title = d.get("protocol_title")
        t.protocol_date, t.signed_date = _iso(d.get("protocol_date")), _iso(d.get("signed_date"))
        t.period, t.source = d.get("period"), d.get("source")
        t.axes_from_pillars = bool(d.get("axes_from_pillars", False))
        self.frame = self.perr_frame()
        axes = self.axes(d.get("axes", []))
        self.commitments(d.get("communes", []), axes)
        self.sync(GovernanceBody, {"territory_id": t.id}, d.get("governance", []),
                  lambda r, i: (setattr(r, "name", i["name"]),
                                setattr(r, "description", i.get("description"))))
        self.sync(Signatory, {"territory_id": t.id}, d.get("signatories", []), self.fill_signatory)
        self.cites(d.get("cites_educatives", []))
        self.s.flush()
        return self.counts

    def perr_frame(self) -> ReferentialFrame:
        """The territory's PERR frame (created at the first load), its years from the
        protocol's period; a protocol's axes and commitments belong to it, those of another
        frame (a contrat de ville 2024–2030) are left as they are."""
        frame = self.s.scalars(select(ReferentialFrame).where(
            ReferentialFrame.territory_id == self.t.id, ReferentialFrame.kind == PERR)
            .order_by(ReferentialFrame.id)).first()
        if frame is None:
            frame = ReferentialFrame(territory_id=self.t.id, kind=PERR, label="PERR")
            self.s.add(frame)
        frame.year_start, frame.year_end = period_years(self.t.period)
        self.s.flush()
        return frame

    def axes(self, items: list[dict]) -> dict[str, Axis]:
        def fill(axis: Axis, item: dict) -> None:
            axis.number, axis.title = item.get("number"), item["title"]
            axis.short_title, axis.pillar_id = item.get("short_title"), self.pillar(item["pillar"])
        rows = self.sync(Axis, {"territory_id": self.t.id, "frame_id": self.frame.id}, items,
                         fill)
        for axis, item in zip(rows, items):
            sos = self.sync(StrategicObjective, {"axis_id": axis.id},
                            item["strategic_objectives"], self.fill_text)
            for so, so_item in zip(sos, item["strategic_objectives"]):
                groups = self.sync(ObjectiveGroup, {"strategic_objective_id": so.id},
                                   so_item["groups"], self.fill_group)
                for g, g_item in zip(groups, so_item["groups"]):
                    self.sync(OperationalObjective, {"group_id": g.id},
                              [self.leaf(x, g_item) for x in g_item["objectives"]],
                              self.fill_text)
                    self.sync(ExampleAction, {"group_id": g.id},
                              [self.leaf(x, g_item) for x in g_item["examples"]],
                              self.fill_text)
                    self.add("objectifs opérationnels", len(g_item["objectives"]))
                    self.add("exemples d'actions", len(g_item["examples"]))
                self.add("objectifs numérotés", len(groups))
            self.add("objectifs stratégiques", len(sos))
        self.add("axes", len(rows))
        return {item["pillar"]: axis for axis, item in zip(rows, items)}

    @staticmethod
    def leaf(item, group: dict) -> dict:
        """An objective or example: a plain string inherits its group's pillar."""
        return item if isinstance(item, dict) else {"text": item, "pillar": group["pillar"]}

    def fill_text(self, row, item: dict) -> None:
        row.text, row.pillar_id = item["text"], self.pillar(item.get("pillar"))

    def fill_group(self, row: ObjectiveGroup, item: dict) -> None:
        row.number, row.title, row.pillar_id = item.get("number"), item["title"], self.pillar(
            item.get("pillar"))

    def fill_signatory(self, row: Signatory, item: dict) -> None:
        row.role, row.person_name = item["role"], item.get("person_name")
        commune = self.commune(item.get("commune"))
        row.commune_id = commune.id if commune else None

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # --- quartiers -------------------------------------------------------------------------

    def qpv(self, name: str, commune: Commune) -> Qpv:
        for q in commune.qpvs:
            spellings = [q.name] + (q.aliases.split("|") if q.aliases else [])
            if any(same_place_name(name, s) for s in spellings):
                return q
        q = Qpv(name=name, communes=[commune], named_in_protocol=True,
                source=f"PERR {self.t.name}")
        self.s.add(q)
        self.s.flush()
        self.add("quartiers créés", 1)
        return q

    # --- commitments and actions under way -----------------------------------------------------

    def commitments(self, communes: list[dict], axes: dict[str, Axis]) -> None:
        seen: set[int] = set()
        for c_item in communes:
            commune = self.commune(c_item["insee_code"])
            existing = {(r.theme_position, r.position): r for r in self.s.scalars(
                select(Commitment).where(Commitment.commune_id == commune.id,
                                         Commitment.territory_id == self.t.id,
                                         Commitment.frame_id == self.frame.id))}
            for t_pos, theme in enumerate(c_item["themes"], 1):
                for pos, item in enumerate(theme["commitments"], 1):
                    row = existing.get((t_pos, pos))
                    if row is None:
                        row = Commitment(territory_id=self.t.id, commune_id=commune.id,
                                         theme_position=t_pos, position=pos,
                                         frame_id=self.frame.id)
                        self.s.add(row)
                    self.fill_commitment(row, item, theme, commune, axes)
                    self.s.flush()
                    seen.add(row.id)
                    self.add(f"{commune.name} : engagements", 1)
                    self.actions(row, item, commune)
        for row in self.s.scalars(select(Commitment).where(Commitment.territory_id == self.t.id,
                                                           Commitment.frame_id == self.frame.id)):
            if row.id not in seen:
                self.s.delete(row)
        self.archive_missing_actions()

    def fill_commitment(self, row: Commitment, item: dict, theme: dict, commune: Commune,
                        axes: dict[str, Axis]) -> None:
        row.theme, row.sub_theme = theme["title"], item.get("sub_theme")
        row.number, row.text, row.detail = item.get("number"), item["text"], item.get("detail")
        figures = list(item.get("figures") or [])
        figures += [{**f, "scope": "thématique"} for f in theme.get("figures") or []]
        row.figures = json.dumps(figures, ensure_ascii=False) if figures else None
        pillar = item.get("pillar") or theme["pillar"]
        row.pillar_id = self.pillar(pillar)
        row.axis_id = axes[pillar].id if pillar in axes else None
        wanted = [self.qpv(n, commune) for n in item.get("quartiers") or []]
        for q in wanted:
            if q not in row.qpvs:
                row.qpvs.append(q)

    def actions(self, commitment: Commitment, item: dict, commune: Commune) -> None:
        """The lines of the engagement's « actions en cours » list, by their reviewed decision
        (protocol_decisions): actions, notes of the engagement, or nothing."""
        notes = []
        for a in item.get("actions", []):
            decision = decision_of(a)
            if decision == "note":
                notes.append(a["text"])
                self.add(f"{commune.name} : notes d'engagement", 1)
            if decision != "action":
                continue
            row = self.s.scalars(select(Action).filter_by(reference=a["reference"])).one_or_none()
            if row is None:
                row = Action(reference=a["reference"], status="en_cours", origin="protocol",
                             status_reported=False)  # « en cours » by default, not reported
                self.s.add(row)
            elif row.territory_id not in (None, self.t.id):
                raise MalformedDocument(f"La référence {a['reference']} appartient à un autre "
                                        "territoire.")
            row.territory_id, row.archived = self.t.id, False
            row.title = a["title"]
            row.description = a["text"] if a["text"] != a["title"] else None
            row.year_start, row.year_end = a.get("year_start"), a.get("year_end")
            row.figures = json.dumps(a["figures"], ensure_ascii=False) if a.get(
                "figures") else None
            row.source = (f"{self.doc.get('source') or 'protocole'} — {commune.name}, "
                          f"{commitment.theme}")
            for link, value in ((row.communes, commune), (row.commitments, commitment)):
                if value not in link:
                    link.append(value)
            for q in (self.qpv(n, commune) for n in a.get("quartiers") or []):
                if q not in row.qpvs:
                    row.qpvs.append(q)
            self.seen_refs.add(a["reference"])
            self.add(f"{commune.name} : actions en cours", 1)
        commitment.note = "\n".join(notes) or None

    def archive_missing_actions(self) -> None:
        seen = self.seen_refs
        for row in self.s.scalars(select(Action).where(
                Action.territory_id == self.t.id, Action.origin == "protocol",
                Action.reference.like("PERR-%"))):
            if row.reference not in seen and not row.archived:
                row.archived = True
                self.add("actions archivées (absentes du document)", 1)

    # --- cités éducatives ------------------------------------------------------------------------

    def cites(self, items: list[dict]) -> None:
        existing = {c.name: c for c in self.s.scalars(
            select(CiteEducative).where(CiteEducative.territory_id == self.t.id))}
        for item in items:
            cite = existing.pop(item["name"], None)
            if cite is None:
                cite = CiteEducative(territory_id=self.t.id, name=item["name"])
                self.s.add(cite)
            commune = self.commune(item.get("commune"))
            cite.commune_id = commune.id if commune else None
            quartier = self.qpv(item["quartier"], commune) if commune and item.get(
                "quartier") else None
            cite.qpv_id, cite.intro = (quartier.id if quartier else None), item.get("intro")
            self.s.flush()
            tops = self.sync(CiteEducativeObjective, {"cite_id": cite.id, "parent_id": None},
                             item["objectives"], self.fill_cite_objective)
            for top, top_item in zip(tops, item["objectives"]):
                self.sync(CiteEducativeObjective, {"cite_id": cite.id, "parent_id": top.id},
                          top_item.get("children", []), self.fill_cite_objective)
            self.add("cités éducatives", 1)
        for cite in existing.values():   # sub-objectives first: they point at their parent
            for sub in [o for o in cite.objectives if o.parent_id is not None]:
                self.s.delete(sub)
            self.s.flush()
            self.s.expire(cite, ["objectives"])   # reloaded without the deleted ones
            self.s.delete(cite)

    @staticmethod
    def fill_cite_objective(row: CiteEducativeObjective, item: dict) -> None:
        row.number, row.text = item.get("number"), item["text"]
