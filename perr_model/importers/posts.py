"""ANCT funded posts (adultes-relais, FONJEP): JSON lists of posts → FundingLine rows.

Decisions, explicit:
- Every row is kept, duplicate `id_poste` rows included (the published figures count rows as
  they are); duplicate groups are reported.
- A row of year Y belongs to the contract of its code in the generation of contrats de ville
  of Y (`perr_model.contrats`: 2015–2023 `CVnnn`, 2024–2030 `CNdddddX` and overseas `CVnnn`);
  the same code in another generation is another contract.
- A post of a contrat de ville that is not in the database is still stored, attached to a
  ContratDeVille row of that generation created from its code with territory NULL (name,
  collectivities and departments from the embedded national list, else the code), so that
  national totals stay checkable; the report counts those posts apart, and names the codes
  the national list of the generation does not hold. A code naming two
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

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .. import history
from ..auth import Actor, require_admin
from ..contrats import CODE, generation_of, national_list, period_label
from ..errors import ImportRefused
from ..schema import ContratDeVille, FundingLine
from .datasets import upsert_dataset

KINDS = {"adultes-relais": "etat_adultes_relais", "fonjep": "etat_fonjep"}
KIND_LABELS = {"adultes-relais": "postes adultes-relais", "fonjep": "postes FONJEP"}


@dataclass
class PostsReport:
    kind: str
    source: str
    rows: int = 0
    by_cv_year: dict[tuple[str, int], tuple[int, Decimal]] = field(default_factory=dict)
    in_territories: set[tuple[str, int]] = field(default_factory=set)  # (code, generation)
    outside_rows: int = 0
    outside_amount: Decimal = Decimal(0)
    outside_codes: set[tuple[str, int]] = field(default_factory=set)
    created_codes: list[tuple[str, int]] = field(default_factory=list)
    unlisted: dict[tuple[str, int], int] = field(default_factory=dict)  # not in the national list
    duplicate_groups: list[tuple[str, int]] = field(default_factory=list)
    compound_codes: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    written: bool = False
    checked: PostRows | None = None

    def lines(self) -> list[str]:
        total = sum(a for _, a in self.by_cv_year.values())
        out = [f"{self.rows} {KIND_LABELS[self.kind]} lus dans {self.source} "
               f"(total {_fr(total)} €)."]
        years = sorted({y for _, y in self.by_cv_year})
        for code, generation in sorted(self.in_territories):
            for year in (y for y in years if generation_of(y) == generation):
                n, amount = self.by_cv_year.get((code, year), (0, Decimal(0)))
                out.append(f"  {code} {year} : {n} poste(s), {_fr(amount)} €")
        out.append(f"{self.outside_rows} poste(s) de {len(self.outside_codes)} contrat(s) de "
                   f"ville hors des territoires de la base ({_fr(self.outside_amount)} €) : "
                   "conservés, rattachés à leur code de contrat sans territoire.")
        if self.created_codes:
            out.append(f"{len(self.created_codes)} contrat(s) de ville créé(s) sans territoire.")
        unlisted = sorted(self.unlisted.items())
        for (code, generation), n in unlisted[:10]:
            out.append(f"Code « {code[:20]} » absent de la liste nationale des contrats de ville "
                       f"{period_label(generation)} ({n} poste(s)) : rattaché à ce code, sans "
                       "territoire.")
        if len(unlisted) > 10:
            out.append(f"… et {len(unlisted) - 10} autre(s) code(s) absent(s) de la liste "
                       "nationale.")
        if self.compound_codes:
            out.append("Codes de contrat doubles gardés tels quels : " + ", ".join(
                f"{c} ({n})" for c, n in sorted(self.compound_codes.items())))
        if self.duplicate_groups:
            out.append(f"{len(self.duplicate_groups)} id_poste présent(s) sur plusieurs lignes "
                       "(toutes conservées) : " + ", ".join(
                           f"{i} ×{n}" for i, n in self.duplicate_groups[:20])
                       + (" …" if len(self.duplicate_groups) > 20 else ""))
        c = self.checked
        if c is not None:
            if c.no_cv:
                out.append(f"{c.no_cv} poste(s) sans code de contrat de ville : conservés, rangés "
                           "« sans contrat de ville » de leur département.")
            if c.bad_cv:
                out.append(f"{len(c.bad_cv)} poste(s) au code de contrat non reconnu : "
                           "conservés, rangés « sans contrat de ville ».")
                out += [f"  - {line}" for line in c.bad_cv[:10]]
            if c.no_dep:
                out.append(f"{c.no_dep} poste(s) sans département : conservés.")
            if c.no_id:
                out.append(f"{c.no_id} poste(s) sans identifiant : conservés.")
            if c.text_numbers:
                out.append(f"{c.text_numbers} ligne(s) où l'année ou le montant est écrit comme "
                           "du texte : lus comme des nombres.")
            if c.unknown_fields:
                out.append("Champs inconnus ignorés : " + ", ".join(
                    f"« {k[:40]} » ({n} ligne(s))" for k, n in c.unknown_fields.most_common(10))
                    + ".")
            if c.set_aside:
                out.append(f"{len(c.set_aside)} ligne(s) écartée(s) (année ou montant "
                           "illisible), non importées :")
                out += [f"  - {line}" for line in c.set_aside[:10]]
                if len(c.set_aside) > 10:
                    out.append(f"  - … et {len(c.set_aside) - 10} autre(s).")
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


KNOWN_FIELDS = {"id_poste", "code_tiers", "raison_sociale", "annee", "montant", "code_cv",
                "insee_dep", "insee_reg"}
NO_CV = "SANS-CV"


def read_posts(data: bytes | str) -> list:
    """The JSON list of a posts file. Refused whole only if it is not one (unreadable, not a
    list, no row with the fields of an ANCT posts file)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")  # older exports: Windows encoding
    else:
        text = data
    try:
        posts = json.loads(text)
    except ValueError as exc:
        where = (f" (ligne {exc.lineno}, colonne {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise ImportRefused(f"Fichier JSON illisible{where} : ce n'est pas un fichier de postes "
                            "de l'ANCT, ou il est tronqué.") from None
    except RecursionError:  # the reader recurses once per level: a file nested beyond
        # Python's limit is no list of flat posts (two levels)
        raise ImportRefused("Fichier JSON imbriqué sur des milliers de niveaux : ce n'est pas un "
                            "fichier de postes de l'ANCT (une liste de postes n'en a que "
                            "deux).") from None
    if not isinstance(posts, list):
        raise ImportRefused("Une liste JSON de postes était attendue (fichier de l'ANCT, "
                            "Ci-VILLE).")
    if not posts:
        raise ImportRefused("Le fichier ne contient aucun poste.")
    if not any(isinstance(p, dict) and "montant" in p and "annee" in p for p in posts):
        raise ImportRefused("Ce fichier n'est pas une liste de postes de l'ANCT : aucune ligne "
                            "n'a les champs « annee » et « montant ».")
    return posts


def _number_text(value: str) -> str:
    return (value.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            .replace("€", "").replace(",", "."))


def no_cv_code(dep: str) -> str:
    """Bucket of the posts a file gives no contrat de ville: by department when known."""
    return f"SANS-{dep}" if dep else NO_CV


def no_cv_name(code: str) -> str:
    dep = code[5:] if code != NO_CV else ""
    return (f"Sans contrat de ville (département {dep})" if dep
            else "Sans contrat de ville ni département")


@dataclass
class PostRows:
    """The rows of a file: kept (clean) and set aside, with what was noticed on the way."""
    clean: list[dict] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    no_cv: int = 0
    bad_cv: list[str] = field(default_factory=list)
    no_dep: int = 0
    no_id: int = 0
    text_numbers: int = 0
    unknown_fields: Counter = field(default_factory=Counter)


def validate_posts(posts: list) -> PostRows:
    """Every row of an official file is kept, or set aside with its reason; never the whole
    file refused for a few odd rows (that is `read_posts`' job, for files that are not posts)."""
    out = PostRows()
    for n, post in enumerate(posts, 1):
        if not isinstance(post, dict):
            out.set_aside.append(f"Ligne {n} : pas un poste (objet JSON attendu).")
            continue
        out.unknown_fields.update(k for k in post if k not in KNOWN_FIELDS)
        ident = str(post.get("id_poste") or "").strip()
        why = []
        raw_year, raw_amount = post.get("annee"), post.get("montant")
        try:
            year = int(Decimal(_number_text(str(raw_year))))
            if not 2000 <= year <= 2100:
                raise ValueError
        except (ArithmeticError, ValueError):
            why.append("année absente ou illisible")
            year = None
        try:
            if isinstance(raw_amount, bool) or raw_amount is None:
                raise ValueError
            amount = Decimal(_number_text(str(raw_amount))).quantize(Decimal("0.01"))
            if amount < 0 or not amount.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            why.append("montant absent ou illisible")
            amount = None
        if why:
            out.set_aside.append(f"Ligne {n} (poste {ident or 'sans identifiant'}) : "
                                 + " ; ".join(why) + ".")
            continue
        if isinstance(raw_year, str) or isinstance(raw_amount, str):
            out.text_numbers += 1
        dep = str(post.get("insee_dep") or "").strip().upper()
        if not dep:
            out.no_dep += 1
        code = str(post.get("code_cv") or "").strip().upper()
        if not code:
            out.no_cv += 1
            code = no_cv_code(dep)
        elif not CODE.fullmatch(code) or len(code) > 10:
            out.bad_cv.append(f"Ligne {n} (poste {ident or 'sans identifiant'}) : code de "
                              f"contrat « {code[:20]} » non reconnu, rangé sans contrat de ville.")
            code = no_cv_code(dep)
        if not ident:
            out.no_id += 1
        tiers = str(post.get("code_tiers") or "").strip()
        out.clean.append({"code_cv": code, "generation": generation_of(year), "year": year,
                          "amount": amount,
                          "id_poste": ident or None,
                          "holder_name": (str(post.get("raison_sociale") or "").strip()
                                          or tiers or None),
                          "holder_siret": tiers if re.fullmatch(r"\d{14}", tiers) else None})
    if not out.clean:
        raise ImportRefused(f"Aucun poste utilisable : {len(out.set_aside)} ligne(s) écartée(s), "
                            "rien n'a été importé.", out.set_aside)
    return out


def new_contract(code: str, generation: int) -> ContratDeVille:
    """A contract the database does not hold yet, without territory: named from the national
    list of its generation when it is there, else by its code."""
    if code.startswith("SANS-") or code == NO_CV:
        return ContratDeVille(code=code, generation=generation, name=no_cv_name(code))
    listed = national_list(generation).get(code)
    if listed is None:
        return ContratDeVille(code=code, generation=generation, name=code)
    return ContratDeVille(code=code, generation=generation, name=listed.name,
                          collectivities=listed.collectivities[:60] or None,
                          departments=listed.departments[:40] or None)


def _tally(report: PostsReport, rows: list[dict], cvs: dict) -> None:
    """Counts and amounts per code and year; posts outside the territories; compound codes and
    codes the national list of their generation does not hold."""
    sums: dict[tuple[str, int], list] = defaultdict(lambda: [0, Decimal(0)])
    for r in rows:
        s = sums[(r["code_cv"], r["year"])]
        s[0] += 1
        s[1] += r["amount"]
        key = (r["code_cv"], r["generation"])
        cv = cvs.get(key)
        if cv is None or cv.territory_id is None:
            report.outside_rows += 1
            report.outside_amount += r["amount"]
            report.outside_codes.add(key)
        if r["code_cv"].startswith("CV") and len(r["code_cv"]) > 5:
            report.compound_codes[r["code_cv"]] = report.compound_codes.get(r["code_cv"], 0) + 1
        elif not r["code_cv"].startswith("SANS") and r["code_cv"] not in national_list(
                r["generation"]):
            report.unlisted[key] = report.unlisted.get(key, 0) + 1
    report.by_cv_year = {k: (v[0], v[1]) for k, v in sums.items()}
    report.in_territories = {k for k, cv in cvs.items() if cv.territory_id is not None}
    report.created_codes = sorted({(r["code_cv"], r["generation"]) for r in rows} - set(cvs))


def import_posts(session: Session, actor: Actor, data: bytes | str, kind: str, *,
                 source: str, dry_run: bool = False) -> PostsReport:
    """Validate every row, then (unless dry_run) replace this funder's ANCT lines of the
    file's year(s), in the caller's single transaction."""
    require_admin(actor)
    if kind not in KINDS:
        raise ImportRefused(f"Type de poste inconnu : {kind} (adultes-relais ou fonjep).")
    checked = validate_posts(read_posts(data))
    rows = checked.clean
    funder = KINDS[kind]
    report = PostsReport(kind=kind, source=source, rows=len(rows), checked=checked)
    cvs = {(c.code, c.generation): c for c in session.scalars(select(ContratDeVille))}
    _tally(report, rows, cvs)
    ids = Counter((r["year"], r["id_poste"]) for r in rows if r["id_poste"])
    report.duplicate_groups = sorted((i, n) for (_, i), n in ids.items() if n > 1)
    if dry_run:
        return report
    for key in report.created_codes:
        cvs[key] = new_contract(*key)
        session.add(cvs[key])
    session.flush()
    years = sorted({r["year"] for r in rows})
    report.replaced = session.execute(delete(FundingLine).where(
        FundingLine.origin == "anct", FundingLine.funder == funder,
        FundingLine.year.in_(years), FundingLine.action_id.is_(None))).rowcount
    session.execute(insert(FundingLine), [
        {"contrat_de_ville_id": cvs[(r["code_cv"], r["generation"])].id, "funder": funder,
         "year": r["year"], "amount_approved": r["amount"], "holder_name": r["holder_name"],
         "holder_siret": r["holder_siret"], "external_ref": r["id_poste"], "origin": "anct",
         "source": source, "is_synthetic": False} for r in rows])
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
