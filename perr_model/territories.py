"""A new territory in minutes: an EPCI/EPT's contrat de ville 2024 from the national list, its
communes, and their QPV 2024 from the embedded national extract.

`create_territory(session, actor, name, contract, communes)` is the one function behind
`python -m perr_model territory create` and the administration page « Créer un territoire ».
Everything is checked first (the contract in the national list of 2024 by code or name, each
commune by INSEE code or name in the store, within the contract's departments, not already in
another territory, the territory not already there); any problem refuses the whole creation
(`ImportRefused`, one French line per problem) and nothing is written. Then, in the caller's
transaction: the territory (slug from its name), its contract, its communes, and the QPV 2024
whose `insee_com` lists one of them, read from data/geo/qpv-2024-france.geojson.gz (built by
`build-embedded`) through the QPV importer. Communes are only taken from the store (their names
and contours come from `geo fetch --department NN` / `--from FILE`, or init-db for 93 and 94):
no network at run time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import history
from .auth import Actor, require_admin
from .contrats import NationalContract, national_list
from .errors import ImportRefused, PermissionDenied
from .importers.communes import GeoImportReport
from .importers.geofile import INSEE_RE, split_list
from .importers.qpv import department_of
from .schema import Commune, ContratDeVille, Territory
from .textnorm import fold, place_key, slugify

GENERATION = 2024  # one contract per EPCI/EPT (contrats.py)
NATIONAL_QPV = "geo/qpv-2024-france.geojson.gz"
QPV_DISPLAY_NAME = "extrait embarqué national des QPV 2024"
# In these departments every EPCI below the Métropole du Grand Paris is an EPT (since 2016).
EPT_DEPARTMENTS = {"75", "92", "93", "94"}
_PREFIX = re.compile(r"^\s*\w{2,3}\s+-\s+")  # "93 - Est Ensemble" -> "Est Ensemble"


def fetch_hint(departments: list[str]) -> str:
    deps = " ".join(f"--department {d}" for d in departments)
    return (f"« python -m perr_model geo fetch {deps} » (ou « --from FICHIER » pour un fichier "
            "déjà téléchargé), ou la page « Importer les périmètres »")


def contract_name(contract: NationalContract) -> str:
    """The published name without its department ("93 - Est Ensemble" -> "Est Ensemble")."""
    return " / ".join(_PREFIX.sub("", part) for part in contract.name.split(" / "))


def split_refs(text: str) -> list[str]:
    """'93006, Bobigny; Bondy' (or one per line) -> ['93006', 'Bobigny', 'Bondy']."""
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


def contract_choices() -> list[NationalContract]:
    """The contracts of the national list of 2024, by department then name (for a page)."""
    return sorted(national_list(GENERATION).values(),
                  key=lambda c: (c.departments, fold(contract_name(c))))


def find_contract(ref: str) -> NationalContract:
    """The contract of 2024 of that code, or whose name is `ref` (accents, case and the
    department prefix ignored; a part of its name when only one contract has it)."""
    contracts = national_list(GENERATION)
    ref = (ref or "").strip()
    if not ref:
        raise ImportRefused("Contrat de ville non indiqué (code CNdddddX ou nom de l'EPCI/EPT).")
    if ref.upper() in contracts:
        return contracts[ref.upper()]
    key = fold(ref)
    exact = [c for c in contracts.values() if key in (fold(c.name), fold(contract_name(c)))]
    found = exact or [c for c in contracts.values() if key in fold(c.name)]
    if len(found) == 1:
        return found[0]
    if found:
        raise ImportRefused(f"Contrat de ville « {ref} » ambigu : "
                            + ", ".join(f"{c.code} « {c.name} »" for c in found[:10])
                            + (" …" if len(found) > 10 else "") + ". Indiquez son code.")
    raise ImportRefused(f"Contrat de ville « {ref} » introuvable dans la liste nationale des "
                        "contrats de ville 2024-2030 (code CNdddddX ou nom de l'EPCI/EPT).")


@dataclass
class TerritoryReport:
    """What a creation did, in French lines for the CLI and the page."""
    name: str
    slug: str
    contract: str                      # "CN09301I « 93 - Est Ensemble »"
    communes: list[str] = field(default_factory=list)        # "93006 Bagnolet"
    without_contour: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    qpv: GeoImportReport | None = None

    @property
    def qpv_count(self) -> int:
        return self.qpv.features if self.qpv else 0

    def lines(self) -> list[str]:
        out = [f"Territoire « {self.name} » créé (adresse : {self.slug}), contrat de ville "
               f"2024-2030 {self.contract}.",
               f"{len(self.communes)} commune(s) : {', '.join(self.communes)}.",
               f"{self.qpv_count} quartier(s) prioritaire(s) 2024 rattaché(s) depuis "
               "l'extrait national embarqué (ANCT)."]
        if self.without_contour:
            out.append(f"Contours absents de la base pour {len(self.without_contour)} commune(s) "
                       f"({', '.join(self.without_contour)}) : la carte ne les dessinera pas ; importez-les avec "
                       + fetch_hint(self.departments) + ".")
        if self.qpv and self.qpv.features:
            out += self.qpv.lines()[1:]
        return out


def _by_name(session: Session) -> dict[str, list[Commune]]:
    index: dict[str, list[Commune]] = {}
    for c in session.scalars(select(Commune).order_by(Commune.insee_code)):
        for key in {fold(c.name), place_key(c.name)}:
            index.setdefault(key, []).append(c)
    return index


def _commune(session: Session, ref: str, departments: set[str] | None, names: dict,
             problems: list) -> Commune | None:
    """The stored commune `ref` names (INSEE code or name) in `departments` (None: the
    contract is unknown, any department), else a problem."""
    code = ref.upper()
    if INSEE_RE.match(code):
        if departments is not None and department_of(code) not in departments:
            problems.append(f"« {ref} » : commune d'un autre département que celui du contrat "
                            f"({', '.join(sorted(departments))}).")
            return None
        found = session.scalars(select(Commune).filter_by(insee_code=code)).one_or_none()
        if found is None:
            hint = fetch_hint(sorted(departments or {department_of(code)}))
            problems.append(f"« {ref} » : commune absente de la base ; importez d'abord les "
                            f"communes de son département avec {hint}.")
        return found
    candidates = names.get(fold(ref)) or names.get(place_key(ref)) or []
    here = [c for c in candidates
            if departments is None or department_of(c.insee_code) in departments]
    if len(here) == 1:
        return here[0]
    if here:
        problems.append(f"« {ref} » : plusieurs communes de ce nom ("
                        + ", ".join(c.insee_code for c in here) + ") ; indiquez son code INSEE.")
    elif candidates:
        problems.append(f"« {ref} » : commune d'un autre département que celui du contrat "
                        f"({', '.join(sorted(departments))}) : "
                        + ", ".join(f"{c.insee_code} {c.name}" for c in candidates) + ".")
    else:
        deps = sorted(departments or ())
        problems.append(f"« {ref} » : nom de commune inconnu"
                        + (f" dans le département {', '.join(deps)}" if deps else "")
                        + " ; vérifiez l'orthographe ou donnez son code INSEE ; si les communes "
                          "du département manquent à la base, importez-les avec "
                        + fetch_hint(deps or ["NN"]) + ".")
    return None


def check_communes(session: Session, refs: list[str], departments: set[str] | None
                   ) -> tuple[list[Commune], list[str]]:
    """The communes `refs` name, and one French problem per refused reference."""
    problems: list[str] = []
    names = _by_name(session)
    communes: list[Commune] = []
    if not refs:
        problems.append("Aucune commune indiquée (codes INSEE ou noms, séparés par des virgules).")
    for ref in refs:
        c = _commune(session, ref, departments, names, problems)
        if c is None:
            continue
        if c in communes:
            problems.append(f"« {ref} » : commune {c.insee_code} {c.name} indiquée deux fois.")
            continue
        if c.territory_id is not None:
            problems.append(f"« {ref} » : la commune {c.insee_code} {c.name} appartient déjà au "
                            f"territoire « {c.territory.name} ».")
        communes.append(c)
    return communes, problems


def check_new(session: Session, name: str, contract: NationalContract) -> list[str]:
    """A territory of that name or address, or a territory already holding the contract."""
    problems = []
    slug = slugify(name)
    if not slug:
        problems.append("Nom du territoire vide.")
    for t in session.scalars(select(Territory).order_by(Territory.id)):
        if slug and (t.slug == slug or fold(t.name) == fold(name)):
            problems.append(f"Le territoire « {t.name} » existe déjà.")
    held = session.scalars(select(ContratDeVille).filter_by(
        code=contract.code, generation=GENERATION)).one_or_none()
    if held is not None and held.territory_id is not None:
        owner = session.get(Territory, held.territory_id)
        problems.append(f"Le contrat de ville {contract.code} est déjà celui du territoire "
                        f"« {owner.name} ».")
    return problems


def create_territory(session: Session, actor: Actor | None, name: str, contract: str,
                     communes: list[str] | str, *, data: Path | None = None) -> TerritoryReport:
    """Check everything, then create the territory, its contract of 2024, its communes and
    their QPV 2024 in the caller's transaction; `ImportRefused` (nothing written) otherwise.
    `name` empty: the contract's name. Administrators of every territory only (an
    administrator of one territory manages that one)."""
    if require_admin(actor).territory_id is not None:
        raise PermissionDenied("Réservé aux administrateurs de l'ensemble des territoires.")
    try:
        found, problems = find_contract(contract), []
    except ImportRefused as exc:
        found, problems = None, [str(exc)]
    name = (name or "").strip() or (contract_name(found) if found else "")
    departments = {d for d in found.departments.split(",") if d} if found else None
    refs = split_refs(communes) if isinstance(communes, str) else [r.strip() for r in communes
                                                                     if r.strip()]
    chosen, refused = check_communes(session, refs, departments)
    problems += (check_new(session, name, found) if found else []) + refused
    if problems:
        raise ImportRefused(f"Territoire « {name} » non créé : {len(problems)} problème(s).",
                            problems)
    territory = _write(session, actor, name, found, chosen)
    report = TerritoryReport(name, territory.slug, f"{found.code} « {found.name} »",
                             [f"{c.insee_code} {c.name}" for c in chosen],
                             [f"{c.insee_code} {c.name}" for c in chosen if c.geometry is None],
                             sorted({department_of(c.insee_code) for c in chosen}))
    report.qpv = attach_qpv(session, actor, {c.insee_code for c in chosen}, data)
    return report


def _write(session: Session, actor: Actor, name: str, found: NationalContract,
           communes: list[Commune]) -> Territory:
    departments = sorted({d for d in found.departments.split(",") if d})
    territory = Territory(slug=slugify(name), name=name, departments=",".join(departments),
                          kind="EPT" if set(departments) <= EPT_DEPARTMENTS else "EPCI")
    session.add(territory)
    session.flush()
    row = session.scalars(select(ContratDeVille).filter_by(
        code=found.code, generation=GENERATION)).one_or_none()
    if row is None:
        row = ContratDeVille(code=found.code, generation=GENERATION)
        session.add(row)
    row.name, row.territory_id = contract_name(found), territory.id
    row.collectivities, row.departments = found.collectivities, found.departments
    for c in communes:
        c.territory_id = territory.id
    session.flush()
    history.record(session, actor, "create", "territory", territory.id,
                   f"Territoire « {name} » créé : contrat {found.code}, communes "
                   + ", ".join(c.insee_code for c in communes))
    return territory


def _qpv_lying_in(session: Session, path: Path, codes: set[str]) -> dict[str, str]:
    """QPV code -> its listed communes, for the extract's QPV listing none of `codes` but with
    at least `qpv.MIN_SHARE_UNDECLARED` of their own area in one of these communes' contours."""
    import numpy as np
    import pyogrio
    import shapely

    from .importers.qpv import MIN_SHARE_UNDECLARED
    contours = session.scalars(select(Commune.geometry).where(
        Commune.insee_code.in_(sorted(codes)), Commune.geometry.is_not(None))).all()
    if not contours:
        return {}
    shapes = shapely.make_valid(shapely.from_geojson(contours))
    source = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    df = pyogrio.read_dataframe(source, columns=["code_qp", "insee_com"],
                                bbox=tuple(shapely.total_bounds(shapes)))
    if len(df) == 0:
        return {}
    geoms = shapely.make_valid(df.geometry.to_numpy())
    qi, ci = shapely.STRtree(shapes).query(geoms, predicate="intersects")
    own = shapely.area(geoms[qi])
    inside = shapely.area(shapely.intersection(geoms[qi], shapes[ci]))
    share = np.divide(inside, own, out=np.zeros_like(inside), where=own > 0)
    out = {}
    for q, part in zip(qi, share):
        code, listing = df["code_qp"].iloc[q], df["insee_com"].iloc[q]
        if part >= MIN_SHARE_UNDECLARED and not set(split_list(listing)) & codes:
            out[code] = listing
    return out


def attach_qpv(session: Session, actor: Actor, codes: set[str], data: Path | None = None
               ) -> GeoImportReport | None:
    """The QPV 2024 of the national extract whose communes include one of `codes`, and those
    with ≥ 10 % of their area in one of these communes' stored contours though they list
    another (a commune code changed since the contours' year), imported (upserted on their
    code, linked to every commune they list, and by geometry: `qpv.check_declared_communes`);
    None when there is none."""
    from .importers.datasets import record_import
    from .importers.embedded import data_dir
    from .importers.geofile import read_geo_file
    from .importers.qpv import load_qpv
    path = Path(data or data_dir()) / NATIONAL_QPV
    if not path.is_file():
        raise ImportRefused("Extrait national des QPV 2024 absent (reconstruisez les extraits "
                            "embarqués : « python -m perr_model build-embedded »).")
    lying = _qpv_lying_in(session, path, codes)
    listed = codes | {c for listing in lying.values() for c in split_list(listing)}
    table = read_geo_file(path, "qpv", QPV_DISPLAY_NAME, communes=listed)
    if listed != codes:  # keep the QPV of other communes only when they lie in these ones
        keep = [bool(set(split_list(c)) & codes) or q in lying
                for q, c in zip(table.frame["code"], table.frame["insee"])]
        table.frame = table.frame.loc[keep].reset_index(drop=True)
    if len(table) == 0:
        return None
    report = load_qpv(session, table)
    record_import(session, actor, "qpv", report)
    return report
