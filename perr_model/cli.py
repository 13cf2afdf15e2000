"""`python -m perr_model ...`: the same operations as the UI, for administrators and scripts.

A thin shell: parse arguments, call one library function, print its report. Every command
honours DATABASE_URL, exits 0 on success and non-zero with a one-line French error otherwise.
Each command is declared once, next to its handler in `perr_model.cli_commands`
(`@command(...)`): this module builds the parser from that list. cli_commands imports nothing
heavy at its top, so that `--help` stays fast. The CLI layer (this module and cli_commands) is
the only one that knows argparse: library functions take a session and an actor and return a
report object.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from .cli_commands import COMMANDS, Command, data_version_or_none, refresh_figures
from .errors import PerrError

class _FrenchFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse's own
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


# argparse's own messages (Python 3.11), those a command line can reach; any other one as is
_ERRORS = [(re.compile(pattern), french) for pattern, french in [
    (r"^the following arguments are required: (.*)$", r"arguments obligatoires manquants : \1"),
    (r"^unrecognized arguments: (.*)$", r"arguments non reconnus : \1"),
    (r"^argument (.+?): invalid choice: (.*) \(choose from (.*)\)$",
     r"argument \1 : choix impossible : \2 (choix possibles : \3)"),
    (r"^argument (.+?): expected one argument$", r"argument \1 : une valeur est attendue"),
    (r"^argument (.+?): ignored explicit argument (.*)$",
     r"argument \1 : valeur inattendue : \2"),
    (r"^ambiguous option: (.*) could match (.*)$", r"option ambiguë : \1 (possibles : \2)"),
]]


class _FrenchParser(argparse.ArgumentParser):
    """argparse in French: usage, section titles, -h and the errors of a command line."""

    def __init__(self, **kwargs):
        super().__init__(**{"formatter_class": _FrenchFormatter, **kwargs, "add_help": False})
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="affiche cette aide et s'arrête")

    def error(self, message: str):
        for pattern, french in _ERRORS:
            message = pattern.sub(french, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="python -m perr_model",
        description="Administration du tableau de bord PERR (honore DATABASE_URL).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    groups: dict[str, argparse._SubParsersAction] = {}
    for command in sorted(COMMANDS, key=lambda c: c.path):
        path, help_text = command.path, command.help
        if len(path) == 1:
            cmd = sub.add_parser(path[0], help=help_text, description=help_text)
        else:
            if path[0] not in groups:
                grp = sub.add_parser(path[0], help=f"commandes « {path[0]} »")
                groups[path[0]] = grp.add_subparsers(dest="subcommand", required=True,
                                                     metavar="SOUS-COMMANDE")
            cmd = groups[path[0]].add_parser(path[1], help=help_text, description=help_text)
        for flags, kwargs in command.arguments:
            cmd.add_argument(*flags, **kwargs)
        cmd.set_defaults(declaration=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command = args.declaration
    try:
        before = data_version_or_none() if command.writes else None
        status = int(command.handler(args) or 0)
        if command.writes and data_version_or_none() != before:
            refresh_figures(args)  # the data changed: store its figures
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
