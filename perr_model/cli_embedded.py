"""CLI handler of `build-embedded` (the library function returns a report; this prints it)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .embedded_build import build_embedded
from .settings import PROJECT_ROOT


def cli_build_embedded(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else PROJECT_ROOT / "data"
    fixtures = Path(args.fixtures) if args.fixtures else None
    report = build_embedded(Path(args.from_dir), out, fixtures=fixtures,
                            project_data=PROJECT_ROOT / "data")
    print("\n".join(report.lines()))
    return 0
