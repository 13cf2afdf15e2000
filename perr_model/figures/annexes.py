"""What the protocol says beside its axes and objectives: its cités éducatives and their
objectives, its governance bodies, its signatories, and the context it gives about the
communes' engagements (the lines of their « actions en cours » a reader kept as notes).

One function, `protocol_annex`, read by the Référentiel page and by the annex of the COPIL
document (PDF and XLSX) alike. Public-safe: a signatory is given by role and commune, never
by name (`Signatory.person_name` is personal data).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import (
    CiteEducative, CiteEducativeObjective, Commitment, Commune, GovernanceBody, Qpv, Signatory,
    Territory,
)
from ..vocabulary import commitment_reference

CITE_COLUMNS = ["cite", "commune", "quartier", "numero", "objectif", "niveau"]
GOVERNANCE_COLUMNS = ["instance", "description"]
SIGNATORY_COLUMNS = ["fonction", "commune"]
NOTE_COLUMNS = ["reference", "commune", "engagement", "note"]


def protocol_annex(session: Session, territory_id: int) -> dict:
    """The annex of a territory's protocol:

    - `cites`: one row per objective of a cité éducative, in the document's order (CITE_COLUMNS:
      cite, commune, quartier, numero — « 2 », « 2.3 » for a sub-objective, empty when the
      protocol does not number it —, objectif, niveau — 1 for an objective, 2 for one of its
      sub-objectives); `cite_intros`: {cite name: the protocol's introduction, or None};
    - `governance`: the bodies the protocol names (GOVERNANCE_COLUMNS);
    - `signatories`: who signed, by role and commune (SIGNATORY_COLUMNS), `signed_date`;
    - `notes`: the engagements' notes (NOTE_COLUMNS: reference « E-94017-5-2 », commune,
      engagement, note: one row per context sentence, an engagement may have several).
    """
    t = session.get(Territory, territory_id)
    cite_rows = session.execute(
        select(CiteEducative.id, CiteEducative.name, Commune.name, Qpv.name, CiteEducative.intro)
        .outerjoin(Commune, Commune.id == CiteEducative.commune_id)
        .outerjoin(Qpv, Qpv.id == CiteEducative.qpv_id)
        .where(CiteEducative.territory_id == territory_id).order_by(CiteEducative.id)).all()
    objectives = session.execute(
        select(CiteEducativeObjective.id, CiteEducativeObjective.cite_id,
               CiteEducativeObjective.parent_id, CiteEducativeObjective.number,
               CiteEducativeObjective.text)
        .where(CiteEducativeObjective.cite_id.in_([r[0] for r in cite_rows]))
        .order_by(CiteEducativeObjective.position, CiteEducativeObjective.id)).all()
    def sentence(body: str) -> str:   # « conforter le rôle de l'école » → « Conforter … »
        return body[:1].upper() + body[1:]
    cites = []
    for cid, name, commune, quartier, _ in cite_rows:
        for oid, _, _, number, body in [o for o in objectives if o[1] == cid and o[2] is None]:
            cites.append((name, commune or "", quartier or "",
                          "" if number is None else str(number), sentence(body), 1))
            for _, _, _, sub, sub_body in [o for o in objectives if o[2] == oid]:
                shown = "" if sub is None else (f"{number}.{sub}" if number is not None
                                                else str(sub))
                cites.append((name, commune or "", quartier or "", shown, sentence(sub_body), 2))
    intros = {name: intro for _, name, _, _, intro in cite_rows}
    governance = session.execute(
        select(GovernanceBody.name, GovernanceBody.description)
        .where(GovernanceBody.territory_id == territory_id)
        .order_by(GovernanceBody.position)).all()
    signatories = session.execute(
        select(Signatory.role, Commune.name).outerjoin(Commune, Commune.id == Signatory.commune_id)
        .where(Signatory.territory_id == territory_id).order_by(Signatory.position)).all()
    notes = session.execute(
        select(Commune.insee_code, Commitment.theme_position, Commitment.position, Commune.name,
               Commitment.number, Commitment.text, Commitment.note)
        .join(Commune, Commune.id == Commitment.commune_id)
        .where(Commitment.territory_id == territory_id, Commitment.note.is_not(None))
        .order_by(Commune.name, Commitment.theme_position, Commitment.position)).all()
    return {
        "cites": pd.DataFrame(cites, columns=CITE_COLUMNS),
        "cite_intros": intros,
        "governance": pd.DataFrame([(n, d or "") for n, d in governance],
                                   columns=GOVERNANCE_COLUMNS),
        "signatories": pd.DataFrame([(r, c or "") for r, c in signatories],
                                    columns=SIGNATORY_COLUMNS),
        "signed_date": t.signed_date if t is not None else None,
        "notes": pd.DataFrame([(commitment_reference(i, tp, p), c,
                                (f"{n}. " if n is not None else "") + body, line)
                               for i, tp, p, c, n, body, note in notes
                               for line in note.split("\n") if line.strip()],
                              columns=NOTE_COLUMNS),
    }
