"""ANCT funded posts (adultes-relais, FONJEP): JSON lists of posts → FundingLine rows.

Decisions, explicit:
- Every row is kept, duplicate `id_poste` rows included (the published figures count rows as
  they are); duplicate groups are reported.
- A post of a contrat de ville that is not in the database is still stored, attached to a
  ContratDeVille row created from its code with territory NULL (name = the code), so that
  national totals stay checkable; the report counts those posts apart. A code naming two
  contracts ("CV380CV384") is kept as written, not split (the amount cannot be split).
- `holder_siret` only when `code_tiers` is a 14-digit SIRET (FONJEP files put a name there).
- Re-importing replaces the lines of the same funder and year(s) that came from ANCT files
  (origin "anct"), so importing the same file twice changes nothing.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .. import history
from ..auth import Actor, require_admin
from ..errors import ImportRefused
from ..schema import ContratDeVille, FundingLine

KINDS = {"adultes-relais": "etat_adultes_relais", "fonjep": "etat_fonjep"}
KIND_LABELS = {"adultes-relais": "postes adultes-relais", "fonjep": "postes FONJEP"}
_CV = re.compile(r"(CV\d{3})+")


@dataclass
class PostsReport:
    kind: str
    source: str
    rows: int = 0
    by_cv_year: dict[tuple[str, int], tuple[int, Decimal]] = field(default_factory=dict)
    in_territories: set[str] = field(default_factory=set)
    outside_rows: int = 0
    outside_amount: Decimal = Decimal(0)
    outside_codes: set[str] = field(default_factory=set)
    created_codes: list[str] = field(default_factory=list)
    duplicate_groups: list[tuple[str, int]] = field(default_factory=list)
    compound_codes: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    written: bool = False

    def lines(self) -> list[str]:
        total = sum(a for _, a in self.by_cv_year.values())
        out = [f"{self.rows} {KIND_LABELS[self.kind]} lus dans {self.source} "
               f"(total {_fr(total)} €)."]
        years = sorted({y for _, y in self.by_cv_year})
        for code in sorted(self.in_territories):
            for year in years:
                n, amount = self.by_cv_year.get((code, year), (0, Decimal(0)))
                out.append(f"  {code} {year} : {n} poste(s), {_fr(amount)} €")
        out.append(f"{self.outside_rows} poste(s) de {len(self.outside_codes)} contrat(s) de "
                   f"ville hors des territoires de la base ({_fr(self.outside_amount)} €) : "
                   "conservés, rattachés à leur code de contrat sans territoire.")
        if self.created_codes:
            out.append(f"{len(self.created_codes)} contrat(s) de ville créé(s) sans territoire.")
        if self.compound_codes:
            out.append("Codes de contrat doubles gardés tels quels : " + ", ".join(
                f"{c} ({n})" for c, n in sorted(self.compound_codes.items())))
        if self.duplicate_groups:
            out.append(f"{len(self.duplicate_groups)} id_poste présent(s) sur plusieurs lignes "
                       "(toutes conservées) : " + ", ".join(
                           f"{i} ×{n}" for i, n in self.duplicate_groups[:20])
                       + (" …" if len(self.duplicate_groups) > 20 else ""))
        if self.written:
            out.append(f"Écrit : {self.rows} ligne(s) ; {self.replaced} ligne(s) d'un import "
                       "précédent remplacée(s).")
        return out


def _fr(amount: Decimal) -> str:
    from ..vocabulary import number
    return number(amount, 2)


def guess_kind(name: str) -> str | None:
    low = name.lower()
    if "fonjep" in low:
        return "fonjep"
    if "adulte" in low or "relais" in low:
        return "adultes-relais"
    return None


def read_posts(data: bytes | str) -> list:
    try:
        posts = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"Fichier JSON illisible : {exc}") from None
    if not isinstance(posts, list):
        raise ImportRefused("Une liste JSON de postes était attendue.")
    return posts


def validate_posts(posts: list) -> list[dict]:
    """Clean rows, or ImportRefused listing every refused row (nothing written)."""
    problems, clean = [], []
    for n, post in enumerate(posts, 1):
        if not isinstance(post, dict):
            problems.append(f"Ligne {n} : un objet JSON était attendu.")
            continue
        why = []
        code = str(post.get("code_cv") or "").strip().upper()
        if not _CV.fullmatch(code):
            why.append(f"code_cv « {post.get('code_cv')} » invalide (CVnnn attendu)")
        try:
            year = int(str(post.get("annee")).strip())
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            why.append(f"annee « {post.get('annee')} » invalide")
            year = None
        try:
            amount = Decimal(str(post.get("montant")).replace(",", ".")).quantize(
                Decimal("0.01"))
            if amount < 0 or not amount.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            why.append(f"montant « {post.get('montant')} » invalide")
            amount = None
        ident = str(post.get("id_poste") or "").strip()
        if not ident:
            why.append("id_poste manquant")
        if why:
            problems.append(f"Ligne {n} (poste {ident or '?'}) : " + " ; ".join(why) + ".")
            continue
        tiers = str(post.get("code_tiers") or "").strip()
        clean.append({"code_cv": code, "year": year, "amount": amount, "id_poste": ident,
                      "holder_name": (str(post.get("raison_sociale") or "").strip()
                                      or tiers or None),
                      "holder_siret": tiers if re.fullmatch(r"\d{14}", tiers) else None})
    if problems:
        raise ImportRefused(f"{len(problems)} ligne(s) refusée(s) : rien n'a été importé.",
                            problems)
    if not clean:
        raise ImportRefused("Le fichier ne contient aucun poste.")
    return clean


def import_posts(session: Session, actor: Actor, data: bytes | str, kind: str, *,
                 source: str, dry_run: bool = False) -> PostsReport:
    """Validate every row, then (unless dry_run) replace this funder's ANCT lines of the
    file's year(s), in the caller's single transaction."""
    require_admin(actor)
    if kind not in KINDS:
        raise ImportRefused(f"Type de poste inconnu : {kind} (adultes-relais ou fonjep).")
    rows = validate_posts(read_posts(data))
    funder = KINDS[kind]
    report = PostsReport(kind=kind, source=source, rows=len(rows))
    cvs = {c.code: c for c in session.scalars(select(ContratDeVille))}
    sums: dict[tuple[str, int], list] = defaultdict(lambda: [0, Decimal(0)])
    for r in rows:
        s = sums[(r["code_cv"], r["year"])]
        s[0] += 1
        s[1] += r["amount"]
        cv = cvs.get(r["code_cv"])
        if cv is None or cv.territory_id is None:
            report.outside_rows += 1
            report.outside_amount += r["amount"]
            report.outside_codes.add(r["code_cv"])
        if len(r["code_cv"]) > 5:
            report.compound_codes[r["code_cv"]] = report.compound_codes.get(r["code_cv"], 0) + 1
    report.by_cv_year = {k: (v[0], v[1]) for k, v in sums.items()}
    report.in_territories = {c for c, cv in cvs.items() if cv.territory_id is not None}
    report.created_codes = sorted({r["code_cv"] for r in rows} - set(cvs))
    ids = Counter((r["year"], r["id_poste"]) for r in rows)
    report.duplicate_groups = sorted((i, n) for (_, i), n in ids.items() if n > 1)
    if dry_run:
        return report
    for code in report.created_codes:
        cvs[code] = ContratDeVille(code=code, name=code, territory_id=None)
        session.add(cvs[code])
    session.flush()
    years = sorted({r["year"] for r in rows})
    report.replaced = session.execute(delete(FundingLine).where(
        FundingLine.origin == "anct", FundingLine.funder == funder,
        FundingLine.year.in_(years), FundingLine.action_id.is_(None))).rowcount
    session.execute(insert(FundingLine), [
        {"contrat_de_ville_id": cvs[r["code_cv"]].id, "funder": funder, "year": r["year"],
         "amount_approved": r["amount"], "holder_name": r["holder_name"],
         "holder_siret": r["holder_siret"], "external_ref": r["id_poste"], "origin": "anct",
         "source": source, "is_synthetic": False} for r in rows])
    from .embedded import upsert_dataset
    for year in years:
        upsert_dataset(session, f"anct_{kind}_{year}",
                       title=f"ANCT – {KIND_LABELS[kind]} {year}",
                       source=f"ANCT, Ci-VILLE ({source})",
                       licence="Licence Ouverte / Open Licence 2.0 (Etalab)",
                       source_date=str(year), rows=sum(1 for r in rows if r["year"] == year))
    report.written = True
    history.record(session, actor, "import", "funding_line", None,
                   f"Import de {len(rows)} {KIND_LABELS[kind]} ({source}), "
                   f"{report.replaced} ligne(s) remplacée(s)")
    return report
