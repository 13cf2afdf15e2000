"""Shared helpers of the editing/import tests (issue 5): a store with the places of data/
(territories, contrats de ville, communes, named quartiers) and a few accounts.

A migrated store (like `empty_url`, so every test runs on SQLite and PostgreSQL) with only the
places and the accounts: it does not depend on the protocol referential being loadable.
"""
from __future__ import annotations

from functools import lru_cache

import pytest
import yaml
from sqlalchemy import select

from perr_model.auth import actor_for, hash_password
from perr_model.importers import embedded
from perr_model.schema import Commune, Territory, UserAccount
from perr_model.store import make_engine, write_session

PASSWORD = "un-mot-de-passe-solide"
ACCOUNTS = {  # username: (role, communes)
    "chef-champigny": ("editor", ["94017"]),
    "chef-fontenay": ("editor", ["94033"]),
    "lecteur": ("reader", []),
    "admin-pemb": ("admin", []),
}


def load_places(url: str) -> None:
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as s:
            folder = embedded.data_dir()
            meta = yaml.safe_load((folder / "territories.yaml").read_text(encoding="utf-8"))
            embedded.load_pillars(s, meta["pillars"])
            embedded.load_territories(s, meta["territories"])
            embedded.load_communes(s, folder / "communes.csv")
            embedded.load_named_qpv(s, folder / "qpv.csv")
    finally:
        engine.dispose()


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)  # once per session: bcrypt is slow on purpose


def add_accounts(url: str) -> None:
    """The accounts, inserted directly (create_user itself is tested in test_auth_*)."""
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as s:
            pemb = s.scalars(select(Territory).where(
                Territory.slug == "paris-est-marne-et-bois")).one()
            for name, (role, codes) in ACCOUNTS.items():
                communes = list(s.scalars(select(Commune).where(Commune.insee_code.in_(codes))))
                s.add(UserAccount(username=name, role=role, password_hash=password_hash(),
                                  territory_id=pemb.id, communes=communes, active=True))
    finally:
        engine.dispose()


def fill_places(url: str) -> None:
    """A migrated store → the places of data/ and the accounts (the `places_url` template)."""
    load_places(url)
    add_accounts(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def places_url(request, tmp_path, store_from_template):
    """URL of this test's own store with the places and the accounts (like `empty_url`, once
    per backend): a copy of a template filled once per session by `fill_places`."""
    yield from store_from_template(request, tmp_path, fill_places)


@pytest.fixture
def store(places_url, rw_engine):
    """(engine, actors by username, id of Paris Est Marne & Bois, id of Paris Terres d'Envol)."""
    engine = rw_engine(places_url)
    with write_session(engine) as s:
        actors = {a.username: actor_for(a) for a in s.scalars(select(UserAccount))}
        pemb = s.scalars(select(Territory.id).where(Territory.slug == "paris-est-marne-et-bois")
                         ).one()
        pte = s.scalars(select(Territory.id).where(Territory.slug == "paris-terres-d-envol")).one()
    return engine, actors, pemb, pte
