"""Every funding line as CSV, so that anyone can check the totals (ANCT posts included).

`financeur` keeps the stable key (for reuse), `financeur_libelle` the label people read
(`perr_model.vocabulary`); `nature` tells action funding from the State's posts.

No personal field: holders are organisations (porteurs, employers of the posts).
"""
from __future__ import annotations


import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import Action, ContratDeVille, FundingLine
from ..vocabulary import funder_label

COLUMNS = ["contrat_de_ville", "annee", "financeur", "porteur", "siret_porteur",
           "montant_demande", "montant_accorde", "origine", "reference_externe",
           "reference_action", "source"]


def funding_lines(session: Session) -> pd.DataFrame:
    q = (select(ContratDeVille.code, FundingLine.year, FundingLine.funder,
                FundingLine.holder_name, FundingLine.holder_siret,
                FundingLine.amount_requested, FundingLine.amount_approved, FundingLine.origin,
                FundingLine.external_ref, Action.reference, FundingLine.source)
         .outerjoin(ContratDeVille, ContratDeVille.id == FundingLine.contrat_de_ville_id)
         .outerjoin(Action, Action.id == FundingLine.action_id)
         .order_by(ContratDeVille.code, FundingLine.year, FundingLine.funder, FundingLine.id))
    df = pd.DataFrame(session.execute(q).all(), columns=COLUMNS)
    df["financeur_libelle"] = df["financeur"].map(funder_label)
    df["nature"] = ["financement d'action" if ref is not None else "poste de l'État"
                    for ref in df["reference_action"]]
    return df


def to_csv(df: pd.DataFrame) -> str:
    """Plain CSV (comma, decimal point, UTF-8): amounts exactly as stored, two decimals."""
    out = df.copy()
    for col in ("montant_demande", "montant_accorde"):
        out[col] = out[col].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.2f}")
    out["annee"] = out["annee"].map(lambda v: "" if v is None or pd.isna(v) else str(int(v)))
    from .safe import csv_text
    return csv_text(out, lineterminator="\n")  # text cells neutralised against formulas
