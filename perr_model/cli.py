"""`python -m perr_model ...`: the same operations as the UI, for administrators and scripts.

A thin shell: parse arguments, call one library function, print its report. Every command
honours DATABASE_URL, exits 0 on success and non-zero with a one-line French error otherwise.
Handlers are functions of `perr_model.cli_commands`, imported only when a command runs so that
`--help` stays fast. The CLI layer (this module and cli_commands) is the only one that knows
argparse: library functions take a session and an actor and return a report object.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import PerrError

# (command path, handler, help, arguments: list of (flags, kwargs))
COMMANDS: list[tuple[tuple[str, ...], str, str, list[tuple[tuple[str, ...], dict]]]] = [
    (("init-db",), "init_db",
     "crée le schéma et charge le référentiel embarqué de data/ (--empty : schéma nu)",
     [(("--empty",), {"action": "store_true", "help": "schéma seul, sans données"}),
      (("--if-missing",), {"action": "store_true",
                           "help": "ne rien faire si la base SQLite existe déjà"})]),
    (("build-embedded",), "perr_model.cli_commands:build_embedded",
     "reconstruit les extraits embarqués de data/ depuis les fichiers officiels",
     [(("--from",), {"dest": "from_dir", "required": True,
                     "help": "dossier des fichiers officiels (comme ../shared/data)"}),
      (("--out",), {"help": "dossier de sortie (défaut : data/)"}),
      (("--fixtures",), {"help": "écrit aussi les petites données d'essai (tests/fixtures)"})]),
    # --- protocol referential (issue 2)
    (("import", "protocol"), "import_protocol",
     "importe un protocole (PERR) rédigé comme ceux de shared/seeds",
     [(("file",), {"help": "fichier du protocole (Markdown)"}),
      (("--territory",), {"required": True, "help": "territoire (slug ou nom)"})]),
    (("parse", "protocol"), "parse_protocol",
     "lit un protocole et écrit le référentiel en YAML (sans toucher à la base)",
     [(("file",), {"help": "fichier du protocole (Markdown)"}),
      (("--territory",), {"required": True, "help": "territoire (slug ou nom)"}),
      (("--out",), {"help": "fichier YAML de sortie (défaut : sortie standard)"})]),
    (("export", "referential"), "export_referential",
     "exporte le référentiel complet (territoires → axes → objectifs ; communes → engagements)",
     [(("--format",), {"choices": ["json"], "default": "json"}),
      (("--out",), {"help": "fichier de sortie (défaut : sortie standard)"})]),
    # --- geography (issue 3)
    (("import", "communes"), "import_communes",
     "importe des contours de communes (GeoJSON, Shapefile ADMIN EXPRESS)",
     [(("file",), {"help": "fichier GeoJSON, .shp ou .zip"})]),
    (("import", "qpv"), "import_qpv",
     "importe des périmètres QPV officiels (ANCT 2015 ou 2024)",
     [(("file",), {"help": "fichier GeoJSON, Shapefile zippé ou GeoPackage"})]),
    (("geo", "fetch"), "geo_fetch",
     "télécharge les fichiers officiels d'un département (ou prend --from FICHIER)",
     [(("--department",), {"action": "append", "required": True, "help": "code département"}),
      (("--kind",), {"choices": ["communes", "qpv", "all"], "default": "all"}),
      (("--from",), {"dest": "from_file", "help": "fichier local à utiliser au lieu du réseau"}),
      (("--cache",), {"help": "dossier de cache"})]),
    (("export", "communes"), "export_communes",
     "exporte les communes stockées en GeoJSON (WGS84)",
     [(("--format",), {"choices": ["geojson"], "default": "geojson"}),
      (("--out",), {"help": "fichier de sortie (défaut : sortie standard)"})]),
    (("export", "qpv"), "export_qpv",
     "exporte les QPV stockés en GeoJSON (WGS84)",
     [(("--format",), {"choices": ["geojson"], "default": "geojson"}),
      (("--out",), {"help": "fichier de sortie (défaut : sortie standard)"})]),
    # --- data maintenance (issue 5)
    (("import", "actions"), "import_actions",
     "importe une programmation annuelle (XLSX ou CSV)",
     [(("file",), {"help": "fichier XLSX ou CSV"}),
      (("--territory",), {"help": "territoire (slug ou nom)"}),
      (("--dry-run",), {"action": "store_true", "help": "vérifie sans rien écrire"}),
      (("--user",), {"default": "cli", "help": "auteur inscrit dans l'historique"})]),
    (("import", "posts"), "import_posts",
     "importe les postes adultes-relais ou FONJEP (fichiers JSON de l'ANCT)",
     [(("file",), {"help": "fichier JSON de l'ANCT"}),
      (("--kind",), {"choices": ["adultes-relais", "fonjep"],
                     "help": "type de poste (deviné du nom de fichier sinon)"})]),
    (("export", "funding"), "export_funding",
     "liste toutes les lignes de financement",
     [(("--format",), {"choices": ["csv"], "default": "csv"}),
      (("--out",), {"help": "fichier de sortie (défaut : sortie standard)"})]),
    (("export", "actions"), "export_actions",
     "exporte les actions au format de la page Actions (réimportable, formules neutralisées)",
     [(("--format",), {"choices": ["csv", "xlsx"], "default": "csv"}),
      (("--territory",), {"help": "territoire (slug ou nom ; défaut : tous)"}),
      (("--year",), {"help": "année (défaut : toutes)"}),
      (("--public",), {"action": "store_true",
                       "help": "colonnes de l'instance publique (les mêmes : aucune donnée "
                               "personnelle n'est exportée)"}),
      (("--out",), {"help": "fichier de sortie (obligatoire pour xlsx)"})]),
    (("user", "create"), "create_user",
     "crée un compte local (mot de passe haché)",
     [(("username",), {}),
      (("--role",), {"choices": ["admin", "editor", "reader"], "required": True}),
      (("--commune",), {"action": "append", "help": "code INSEE d'une commune (éditeur)"}),
      (("--territory",), {"help": "territoire (slug ou nom)"}),
      (("--password",), {"help": "mot de passe (sinon demandé, ou PERR_NEW_PASSWORD)"})]),
    # --- evaluation indicators (issue 15)
    (("export", "indicators"), "export_indicators",
     "exporte les valeurs des indicateurs d'évaluation (CSV ou XLSX, réimportable)",
     [(("--format",), {"choices": ["csv", "xlsx"], "default": "csv"}),
      (("--territory",), {"help": "territoire (slug ou nom ; défaut : tous)"}),
      (("--out",), {"help": "fichier de sortie (défaut : sortie standard, CSV seulement)"})]),
    (("import", "indicators"), "import_indicators",
     "importe des valeurs d'indicateurs (CSV ou XLSX) : tout ou rien, rapport ligne par ligne",
     [(("file",), {"help": "fichier CSV ou XLSX"}),
      (("--territory",), {"help": "territoire des lignes sans colonne territoire"}),
      (("--dry-run",), {"action": "store_true", "help": "vérifie sans rien écrire"}),
      (("--user",), {"default": "cli", "help": "auteur inscrit dans l'historique"})]),
    (("refresh-figures",), "refresh_figures",
     "recalcule les chiffres enregistrés des pages et du document COPIL (fait d'office après "
     "chaque commande qui écrit ; utile après une modification faite directement en SQL)",
     []),
    # --- COPIL document (issue 6)
    (("report", "copil"), "report_copil",
     "produit le document du COPIL (PDF et XLSX des tableaux)",
     [(("--territory",), {"required": True}),
      (("--year",), {"required": True,
                     "help": "année (ex. 2022), ou « toutes » : toutes les années, actions "
                             "sans année comprises"}),
      (("--commune",), {"help": "code INSEE pour un document d'une seule commune"}),
      (("--out",), {"required": True, "help": "fichier PDF de sortie"})]),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m perr_model",
        description="Administration du tableau de bord PERR (honore DATABASE_URL).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    groups: dict[str, argparse._SubParsersAction] = {}
    for path, handler, help_text, arguments in COMMANDS:
        if len(path) == 1:
            cmd = sub.add_parser(path[0], help=help_text, description=help_text)
        else:
            if path[0] not in groups:
                grp = sub.add_parser(path[0], help=f"commandes « {path[0]} »")
                groups[path[0]] = grp.add_subparsers(dest="subcommand", required=True,
                                                     metavar="SOUS-COMMANDE")
            cmd = groups[path[0]].add_parser(path[1], help=help_text, description=help_text)
        for flags, kwargs in arguments:
            cmd.add_argument(*flags, **kwargs)
        cmd.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        commands = importlib.import_module("perr_model.cli_commands")
        before = commands.data_version_or_none()
        status = int(getattr(commands, args.handler)(args) or 0)
        if args.handler != "refresh_figures" and commands.data_version_or_none() != before:
            commands.refresh_figures(args)  # the data changed: store its figures
        return status
    except PerrError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"Erreur : fichier introuvable : {exc.filename or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one French line, traceback only on demand
        if os.environ.get("PERR_DEBUG"):
            raise
        print(f"Erreur inattendue ({type(exc).__name__}) : {exc}".splitlines()[0], file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Erreur : interrompu.", file=sys.stderr)
        return 130
