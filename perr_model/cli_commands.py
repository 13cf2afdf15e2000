"""Handlers of `python -m perr_model …`: the only place besides cli.py that knows argparse.

Each command is declared once, by `@command(...)` above its handler: its words, its help and its
arguments; cli.py builds the parser from `COMMANDS`. Each handler opens the connection the
command needs, calls one library function (which takes a session and an actor and returns a
report object), prints the report, and returns the exit code. Library modules never print and
never read command-line arguments.

Building the parser (`--help`) imports this module for its declarations, so nothing heavy is
imported at its top: SQLAlchemy and the schema behind the store and the accounts come in when a
handler first uses one of their names (`_on_first_use`).
"""
from __future__ import annotations

import argparse
import getpass
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import ImportRefused


class _on_first_use:  # noqa: N801 - stands for the name it imports
    """`name` of `module`, imported at its first call or attribute (`Actor.system()`)."""

    def __init__(self, module: str, name: str):
        self._where = (module, name)

    def _target(self):
        module, name = self._where
        return getattr(importlib.import_module(module, __package__), name)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    def __getattr__(self, attr: str):
        return getattr(self._target(), attr)


Store = _on_first_use(".store", "Store")
Actor = _on_first_use(".auth", "Actor")
database_url = _on_first_use(".store", "database_url")
sqlite_path = _on_first_use(".store", "sqlite_path")


# --- declarations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]        # ("init-db",) or ("import", "actions")
    help: str
    arguments: tuple[tuple[tuple[str, ...], dict], ...]
    handler: Callable[[argparse.Namespace], int]
    writes: bool                 # may change the store: its figures are refreshed after it


COMMANDS: list[Command] = []


def arg(*flags: str, **options) -> tuple[tuple[str, ...], dict]:
    """One argument, as `argparse.ArgumentParser.add_argument(*flags, **options)` takes it."""
    return flags, options


def command(path: str, help: str, *arguments: tuple[tuple[str, ...], dict],  # noqa: A002
            writes: bool = True):
    """Declares the decorated handler as the command `path` ("import actions"). `writes=False`
    for a command that never changes the store's data (main() then does not look whether its
    figures must be refreshed)."""
    def register(handler: Callable[[argparse.Namespace], int]):
        COMMANDS.append(Command(tuple(path.split()), help, arguments, handler, writes))
        return handler
    return register


def _write_out(out: str | None, text: str, done: str | None = None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        if done:
            print(done, file=sys.stderr)
    else:
        sys.stdout.write(text)


def _store(read_only: bool = False) -> Store:
    """The command's Store on DATABASE_URL. Its writes do not refresh the stored figures
    themselves: cli.main refreshes them once, after a command that changed the data version
    (a command may write in several transactions, or outside a Store: migrations)."""
    return Store(read_only=read_only, refresh=False)


def _read(fn):
    """fn(session) on the read-only engine."""
    store = _store(read_only=True)
    try:
        with store.read() as session:
            return fn(session)
    finally:
        store.dispose()


def _import(importer: str, path: str, actor: Actor | None = None, **options) -> int:
    """Any importer of `importers.registry`, in one write transaction; the report printed."""
    from .importers.registry import IMPORTERS
    store = _store()
    try:
        with store.write() as session:
            report = IMPORTERS[importer](session, actor or Actor.system(), path, **options)
    except ImportRefused as exc:
        print("\n".join(f"  - {line}" if importer in ("communes", "qpv") else line
                        for line in exc.problems))
        raise
    finally:
        store.dispose()
    print("\n".join(report.lines()))
    return 1 if getattr(report, "problems", None) else 0


# --- set-up -----------------------------------------------------------------------------------

def data_version_or_none() -> int | None:
    """The store's data version, None when there is no store (or no version table) yet."""
    from .figures.stored import current_version
    url = database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    store = Store(url, read_only=True)
    try:
        with store.read() as s:
            return current_version(s)
    except Exception:  # noqa: BLE001 - no store yet, schema older than 0007, empty database
        return None
    finally:
        store.dispose()


@command("refresh-figures",
         "recalcule les chiffres enregistrés des pages et du document COPIL (fait d'office après "
         "chaque commande qui écrit ; utile après une modification faite directement en SQL)",
         writes=False)
def refresh_figures(_args: argparse.Namespace | None = None) -> int:
    from .figures.stored import refresh
    store = _store()
    try:
        print(refresh(store.write_engine).line())
    finally:
        store.dispose()
    return 0


@command("init-db",
         "crée le schéma et charge le référentiel embarqué de data/ (--empty : schéma nu)",
         arg("--empty", action="store_true", help="schéma seul, sans données"),
         arg("--if-missing", action="store_true",
             help="ne rien faire si la base SQLite existe déjà"))
def init_db(args: argparse.Namespace) -> int:
    from . import migrate
    from .commands import init_database
    url = database_url()
    path = sqlite_path(url)
    if args.if_missing and path is not None and path.exists() and path.stat().st_size > 0:
        store = _store()
        try:  # a newer release may bring migrations: apply, lose nothing
            migrate.upgrade(store.write_engine)
        finally:
            store.dispose()
        print(f"Base déjà présente, schéma à jour : {path}")
        return 0
    counts = init_database(url, empty=args.empty)
    where = path or url.split("@")[-1]
    if args.empty:
        print(f"Schéma créé (vide) : {where}")
    else:
        labels = {"pillars": "piliers", "territories": "territoires",
                  "communes": "communes des territoires", "qpv": "quartiers des protocoles",
                  "indicator_values": "valeurs d'indicateurs des protocoles"}
        detail = ", ".join(f"{labels.get(k, k)} {v}" for k, v in counts.items()
                           if not k.startswith("referential"))
        print(f"Base prête : {where} ({detail})")
        from .commands import review_lines
        for line in review_lines(url):
            print(line)
    return 0


@command("build-embedded",
         "reconstruit les extraits embarqués de data/ depuis les fichiers officiels",
         arg("--from", dest="from_dir", metavar="DOSSIER", required=True,
             help="dossier des fichiers officiels (comme ../shared/data)"),
         arg("--out", metavar="DOSSIER", help="dossier de sortie (défaut : data/)"),
         arg("--fixtures", metavar="DOSSIER",
             help="écrit aussi les petites données d'essai (tests/fixtures)"),
         writes=False)
def build_embedded(args: argparse.Namespace) -> int:
    from .embedded_build import build_embedded as build
    from .settings import PROJECT_ROOT
    out = Path(args.out) if args.out else PROJECT_ROOT / "data"
    fixtures = Path(args.fixtures) if args.fixtures else None
    report = build(Path(args.from_dir), out, fixtures=fixtures, project_data=PROJECT_ROOT / "data")
    print("\n".join(report.lines()))
    return 0


# --- imports ----------------------------------------------------------------------------------

@command("import protocol", "importe un protocole (PERR) : PDF avec son texte, Word (.docx) ou "
         "Markdown",
         arg("file", metavar="FICHIER", help="fichier du protocole (.pdf, .docx ou .md)"),
         arg("--territory", metavar="TERRITOIRE", required=True, help="territoire (slug ou nom)"),
         arg("--dry-run", action="store_true",
             help="lit le document et liste ce qui a été trouvé, sans rien écrire"))
def import_protocol(args: argparse.Namespace) -> int:
    return _import("protocol", args.file, territory=args.territory, dry_run=args.dry_run)


@command("parse protocol",
         "lit un protocole et écrit le référentiel en YAML (sans toucher à la base)",
         arg("file", metavar="FICHIER", help="fichier du protocole (.pdf, .docx ou .md)"),
         arg("--territory", metavar="TERRITOIRE", required=True, help="territoire (slug ou nom)"),
         arg("--out", metavar="FICHIER", help="fichier YAML de sortie (défaut : sortie standard)"),
         writes=False)
def parse_protocol(args: argparse.Namespace) -> int:
    from .importers.protocol import (
        ProtocolReport, context_from_data, dump_yaml, parse_protocol as parse, read_protocol,
    )
    ctx = context_from_data(args.territory)
    doc = parse(read_protocol(args.file), ctx.slug, context=ctx, source=Path(args.file).name)
    _write_out(args.out, dump_yaml(doc), f"Référentiel écrit : {args.out}")
    print(ProtocolReport.from_dict(doc["report"]).summary(), file=sys.stderr)
    return 0


@command("import communes", "importe des contours de communes (GeoJSON, Shapefile ADMIN EXPRESS)",
         arg("file", metavar="FICHIER", help="fichier GeoJSON, .shp ou .zip"))
def import_communes(args: argparse.Namespace) -> int:
    return _import("communes", args.file)


@command("import qpv", "importe des périmètres QPV officiels (ANCT 2015 ou 2024)",
         arg("file", metavar="FICHIER", help="fichier GeoJSON, Shapefile zippé ou GeoPackage"))
def import_qpv(args: argparse.Namespace) -> int:
    return _import("qpv", args.file)


EXISTING = {"mettre-a-jour": "update", "ignorer": "skip"}  # --existantes → importer option


@command("import actions", "importe une programmation annuelle (XLSX ou CSV)",
         arg("file", metavar="FICHIER", help="fichier XLSX ou CSV"),
         arg("--territory", metavar="TERRITOIRE", help="territoire (slug ou nom)"),
         arg("--dry-run", action="store_true", help="vérifie sans rien écrire"),
         arg("--existantes", choices=list(EXISTING), default="mettre-a-jour",
             help="actions déjà présentes (même référence, ou même titre, porteur et année) : "
                  "les mettre à jour avec le fichier, ou ignorer leurs lignes"),
         arg("--user", metavar="AUTEUR", default="cli", help="auteur inscrit dans l'historique"))
def import_actions(args: argparse.Namespace) -> int:
    return _import("actions", args.file, Actor.system(args.user), territory=args.territory,
                   dry_run=args.dry_run, existing=EXISTING[args.existantes])


@command("import posts", "importe les postes adultes-relais ou FONJEP (fichiers JSON de l'ANCT)",
         arg("file", metavar="FICHIER", help="fichier JSON de l'ANCT"),
         arg("--kind", choices=["adultes-relais", "fonjep"],
             help="type de poste (deviné du nom de fichier sinon)"))
def import_posts(args: argparse.Namespace) -> int:
    return _import("posts", args.file, kind=args.kind)


@command("geo fetch",
         "télécharge les fichiers officiels d'un département (ou prend --from FICHIER)",
         arg("--department", metavar="CODE", action="append", required=True,
             help="code département"),
         arg("--kind", choices=["communes", "qpv", "all"], default="all"),
         arg("--from", dest="from_file", metavar="FICHIER",
             help="fichier local à utiliser au lieu du réseau"),
         arg("--cache", metavar="DOSSIER", help="dossier de cache"))
def geo_fetch(args: argparse.Namespace) -> int:
    from .importers.fetch import fetch
    return _reports(lambda store: fetch(store, args.department, args.kind, args.from_file,
                                        args.cache, actor=Actor.system()))


def _reports(work) -> int:
    """work(store) -> reports, on the command's Store; a refusal's problems go to stderr, one
    per line; each report is printed."""
    store = _store()
    try:
        reports = work(store)
    except ImportRefused as exc:
        for line in exc.problems:
            print(f"  - {line}", file=sys.stderr)
        raise
    finally:
        store.dispose()
    for report in reports:
        print("\n".join(report.lines()))
    return 0


@command("territory create",
         "crée un territoire : son contrat de ville 2024 (liste nationale), ses communes et "
         "leurs QPV 2024 (extrait national embarqué)",
         arg("name", metavar="NOM", help="nom du territoire (son adresse en est tirée)"),
         arg("--contract", metavar="CONTRAT", required=True,
             help="contrat de ville 2024-2030 de l'EPCI/EPT : code (CN09301I) ou nom"),
         arg("--communes", metavar="COMMUNES", required=True,
             help="codes INSEE ou noms des communes, séparés par des virgules"))
def territory_create(args: argparse.Namespace) -> int:
    from .territories import create_territory

    def create(store: Store) -> list:
        with store.write() as session:
            return [create_territory(session, Actor.system(), args.name, args.contract,
                                     args.communes)]
    return _reports(create)


# --- exports ----------------------------------------------------------------------------------

@command("export referential",
         "exporte le référentiel complet (territoires → axes → objectifs ; communes → engagements)",
         arg("--format", choices=["json"], default="json"),
         arg("--out", metavar="FICHIER", help="fichier de sortie (défaut : sortie standard)"),
         writes=False)
def export_referential(args: argparse.Namespace) -> int:
    from .exports.referential import referential
    data = _read(referential)
    _write_out(args.out, json.dumps(data, ensure_ascii=False, indent=2) + "\n",
               f"Référentiel exporté : {args.out} ({len(data['territories'])} territoire(s))")
    return 0


def _export_geo(args: argparse.Namespace, writer, what: str) -> int:
    import io
    buf = io.StringIO()
    n = _read(lambda s: writer(s, buf))
    _write_out(args.out, buf.getvalue(), f"{n} {what} exporté(s) dans {args.out}")
    return 0


@command("export communes", "exporte les communes stockées en GeoJSON (WGS84)",
         arg("--format", choices=["geojson"], default="geojson"),
         arg("--out", metavar="FICHIER", help="fichier de sortie (défaut : sortie standard)"),
         writes=False)
def export_communes(args: argparse.Namespace) -> int:
    from .exports.geo import write_communes
    return _export_geo(args, write_communes, "commune(s)")


@command("export qpv", "exporte les QPV stockés en GeoJSON (WGS84)",
         arg("--format", choices=["geojson"], default="geojson"),
         arg("--territory", metavar="TERRITOIRE",
             help="les QPV des communes de ce territoire seulement (slug ou nom)"),
         arg("--out", metavar="FICHIER", help="fichier de sortie (défaut : sortie standard)"),
         writes=False)
def export_qpv(args: argparse.Namespace) -> int:
    from .exports.geo import write_qpv
    return _export_geo(args, lambda s, out: write_qpv(s, out, territory=args.territory), "QPV")


@command("export funding", "liste toutes les lignes de financement",
         arg("--format", choices=["csv"], default="csv"),
         arg("--out", metavar="FICHIER", help="fichier de sortie (défaut : sortie standard)"),
         writes=False)
def export_funding(args: argparse.Namespace) -> int:
    from .exports.funding import funding_lines, to_csv
    text = _read(lambda s: to_csv(funding_lines(s)))
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


@command("export actions",
         "exporte les actions au format de la page Actions (réimportable, formules neutralisées)",
         arg("--format", choices=["csv", "xlsx"], default="csv"),
         arg("--territory", metavar="TERRITOIRE", help="territoire (slug ou nom ; défaut : tous)"),
         arg("--year", metavar="ANNÉE", help="année (défaut : toutes)"),
         arg("--public", action="store_true",
             help="colonnes de l'instance publique (les mêmes : aucune donnée personnelle "
                  "n'est exportée)"),
         arg("--out", metavar="FICHIER", help="fichier de sortie (obligatoire pour xlsx)"),
         writes=False)
def export_actions(args: argparse.Namespace) -> int:
    from .errors import PerrError
    from .exports.actions import export_actions as export
    if args.format == "xlsx" and not args.out:
        raise PerrError("Un classeur XLSX ne s'écrit pas sur la sortie standard : indiquez --out.")
    # --public or not, an export never writes: read-only connection
    data = _read(lambda s: export(s, args.format, args.territory,
                                  int(args.year) if args.year else None))
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


@command("export indicators",
         "exporte les valeurs des indicateurs d'évaluation (CSV ou XLSX, réimportable)",
         arg("--format", choices=["csv", "xlsx"], default="csv"),
         arg("--territory", metavar="TERRITOIRE", help="territoire (slug ou nom ; défaut : tous)"),
         arg("--out", metavar="FICHIER",
             help="fichier de sortie (défaut : sortie standard, CSV seulement)"),
         writes=False)
def export_indicators(args: argparse.Namespace) -> int:
    from .evaluation.exchange import _territory, export_frame, to_csv_bytes, to_xlsx_bytes
    if args.format == "xlsx" and not args.out:
        raise ImportRefused("Le format XLSX demande un fichier de sortie (--out).")
    df = _read(lambda s: export_frame(s, _territory(s, args.territory, None).id
                                      if args.territory else None))
    data = to_xlsx_bytes(df) if args.format == "xlsx" else to_csv_bytes(df)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"{len(df)} valeur(s) d'indicateurs exportée(s) : {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


@command("import indicators",
         "importe des valeurs d'indicateurs (CSV ou XLSX) : tout ou rien, rapport ligne par ligne",
         arg("file", metavar="FICHIER", help="fichier CSV ou XLSX"),
         arg("--territory", metavar="TERRITOIRE",
             help="territoire des lignes sans colonne territoire"),
         arg("--dry-run", action="store_true", help="vérifie sans rien écrire"),
         arg("--user", metavar="AUTEUR", default="cli", help="auteur inscrit dans l'historique"))
def import_indicators(args: argparse.Namespace) -> int:
    from .evaluation.exchange import import_file
    path = Path(args.file)
    data = path.read_bytes()
    store = _store()
    try:
        with store.write() as s:
            report = import_file(s, Actor.system(args.user), data, path.name,
                                 territory=args.territory, dry_run=args.dry_run)
    finally:
        store.dispose()
    for line in report.lines():
        print(line, file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


@command("import referentiel",
         "remplit le référentiel d'un territoire depuis le modèle de tableur (XLSX ou CSV) : "
         "tout ou rien, rapport ligne par ligne",
         arg("file", metavar="FICHIER", help="fichier XLSX ou CSV du modèle"),
         arg("--territoire", "--territory", dest="territory", metavar="TERRITOIRE",
             required=True, help="territoire (slug ou nom) ; son référentiel doit être vide"),
         arg("--dry-run", "--essai", dest="dry_run", action="store_true",
             help="vérifie sans rien écrire"),
         arg("--cadre", dest="frame", metavar="CADRE", choices=["contrat-2024"],
             help="le fichier est un nouveau cadre du territoire (« contrat-2024 » : son contrat "
                  "de ville 2024-2030), à côté du PERR déjà chargé"),
         arg("--annees", "--years", dest="years", metavar="ANNÉES",
             help="années du nouveau cadre, par exemple « 2024-2030 »"),
         arg("--user", metavar="AUTEUR", default="cli", help="auteur inscrit dans l'historique"))
def import_referential_sheet(args: argparse.Namespace) -> int:
    from .importers.referential_sheet import import_sheet
    path = Path(args.file)
    store = _store()
    try:
        with store.write() as s:
            report = import_sheet(s, Actor.system(args.user), path.read_bytes(), path.name,
                                  territory=args.territory, dry_run=args.dry_run,
                                  frame=args.frame, years=args.years)
    except ImportRefused as exc:
        print("\n".join(exc.problems))
        raise
    finally:
        store.dispose()
    print("\n".join(report.lines()))
    return 0


# --- accounts, COPIL --------------------------------------------------------------------------

@command("user create", "crée un compte local (mot de passe haché)",
         arg("username", metavar="IDENTIFIANT"),
         arg("--role", choices=["admin", "editor", "reader"], required=True),
         arg("--commune", metavar="INSEE", action="append",
             help="code INSEE d'une commune (éditeur)"),
         arg("--territory", metavar="TERRITOIRE", help="territoire (slug ou nom)"),
         arg("--password", metavar="MOT_DE_PASSE",
             help="mot de passe (sinon demandé, ou PERR_NEW_PASSWORD)"))
def create_user(args: argparse.Namespace) -> int:
    from .auth import ROLE_LABELS, create_user as create
    password = args.password or os.environ.get("PERR_NEW_PASSWORD")
    if password is None:
        password = getpass.getpass("Mot de passe : ")
    store = _store()
    try:
        with store.write() as session:
            account = create(session, Actor.system(), args.username, args.role,
                             password=password, commune_codes=args.commune or [],
                             territory=args.territory)
            communes = ", ".join(sorted(c.insee_code for c in account.communes)) or "aucune"
            print(f"Compte créé : {account.username} ({ROLE_LABELS[account.role]}, "
                  f"communes : {communes})")
    finally:
        store.dispose()
    return 0


@command("report copil", "produit le document du COPIL (PDF et XLSX des tableaux)",
         arg("--territory", metavar="TERRITOIRE", required=True),
         arg("--year", metavar="ANNÉE", required=True,
             help="année (ex. 2022), ou « toutes » : toutes les années, actions sans année "
                  "comprises"),
         arg("--commune", metavar="INSEE", help="code INSEE pour un document d'une seule commune"),
         arg("--out", metavar="FICHIER", required=True, help="fichier PDF de sortie"),
         writes=False)
def report_copil(args: argparse.Namespace) -> int:
    from .figures.scope import parse_year
    from .copil.document import build_copil
    year = parse_year(args.year)
    pdf, xlsx = _read(lambda s: build_copil(s, args.territory, year, Path(args.out),
                                            args.commune))
    print(f"Document COPIL écrit : {pdf} (tableaux : {xlsx})")
    return 0
