"""The one-minute summary says plainly when no axis has any action yet (no "least covered" axis
picked among zeros)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.figures import Scope, summary
from perr_model.store import make_engine


def test_no_least_covered_axis_among_zeros(embedded_sqlite):
    engine = make_engine(f"sqlite:///{embedded_sqlite}")
    try:
        with engine.connect() as c:  # Paris Terres d'Envol: its referential, no action yet
            pte = c.execute(text("select id from territory where slug = 'paris-terres-d-envol'")
                            ).scalar()
            assert c.execute(text("select count(*) from action where territory_id = :t"),
                             {"t": pte}).scalar() == 0
        with Session(engine) as s:
            said = summary.summary_sentence(s, Scope(pte, None))
        assert "aucun axe n'a encore d'action" in said
        assert "moins couvert" not in said
    finally:
        engine.dispose()
