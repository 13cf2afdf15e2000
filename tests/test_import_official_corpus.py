"""Bad files through every importer of official files and of indicator values (issue 13, item 6):
a French message, no exception name, no server path, nothing written."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from perr_model.auth import Actor
from perr_model.errors import PerrError
from perr_model.evaluation import exchange
from perr_model.importers.registry import IMPORTERS
from perr_model.schema import Commune, FundingLine, IndicatorValue, Qpv
from perr_model.store import write_session

from test_import_robustness import _french_and_clean

GEOJSON_TRUNCATED = b'{"type": "FeatureCollection", "features": [{"type": "Feature", "prop'
CORPUS = {
    "vide": b"",
    "blancs": b"  \n\n ",
    "binaire": os.urandom(4000),
    "tronque": GEOJSON_TRUNCATED,
    "utf16": '{"type": "FeatureCollection", "features": []}'.encode("utf-16"),
    "mauvais-schema": b'{"nom": "Dupont", "telephone": "0600000000"}',
    "texte-pdf": b"%PDF-1.4 pas un fichier de donnees",
}
# importer → (file suffix, options)
TARGETS = {"communes": (".geojson", {}), "qpv": (".geojson", {}),
           "posts": (".json", {"kind": "adultes-relais"}), "indicateurs": (".csv", {})}


def _counts(engine) -> tuple:
    with Session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (Commune, Qpv, FundingLine, IndicatorValue))


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_official_file_gets_a_french_message(loaded_url, rw_engine, tmp_path, target, name):
    engine = rw_engine(loaded_url)
    suffix, options = TARGETS[target]
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(CORPUS[name])
    before = _counts(engine)
    messages: list[str] = []
    try:
        with write_session(engine) as s:
            if target == "indicateurs":
                report = exchange.import_file(s, Actor.system("test"), path.read_bytes(),
                                              path.name)
            else:
                report = IMPORTERS[target](s, Actor.system("test"), path, **options)
            messages = report.lines()
            if target == "indicateurs" and not report.ok:
                raise PerrError("\n".join(messages))  # refused: roll the session back
    except PerrError as exc:
        messages = [str(exc), *getattr(exc, "problems", [])]
    _french_and_clean(messages)
    assert str(tmp_path) not in "\n".join(messages)
    assert _counts(engine) == before, messages
