"""Tables of the PERR store (SQLAlchemy 2.0 declarative). Tables only: no queries here.

Runs unchanged on SQLite and PostgreSQL: geometries are GeoJSON text plus a bounding box and a
centroid in plain float columns, so no spatial extension is needed on either side.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData,
    Numeric, String, Table, Text, UniqueConstraint, true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- association tables -----------------------------------------------------------------------

qpv_commune = Table(
    "qpv_commune", Base.metadata,
    Column("qpv_id", ForeignKey("qpv.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True,
           index=True),  # communes → quartiers (0002_scale)
)
action_commune = Table(
    "action_commune", Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True, index=True),
)
action_qpv = Table(
    "action_qpv", Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("qpv_id", ForeignKey("qpv.id", ondelete="CASCADE"), primary_key=True, index=True),
)
action_axis = Table(
    "action_axis", Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("axis_id", ForeignKey("axis.id", ondelete="CASCADE"), primary_key=True, index=True),
)
action_objective = Table(
    "action_objective", Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("objective_id", ForeignKey("operational_objective.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)
action_commitment = Table(
    "action_commitment", Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("commitment_id", ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)
commitment_qpv = Table(  # quartiers a commitment (or its theme's introduction) names
    "commitment_qpv", Base.metadata,
    Column("commitment_id", ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True),
    Column("qpv_id", ForeignKey("qpv.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# Derived, kept exact by database triggers (migration 0004_derived_links); never written by the
# application. One row per (action, axis it serves) and per (action, commune it reaches).
def _derived_links(name: str, target: str) -> Table:
    """(action_id, `target`) pairs plus copies of the action's columns (a trigger on action
    follows them), so that "live" is tested without a join on Action."""
    return Table(
        name, Base.metadata,
        Column("action_id", Integer, primary_key=True),
        Column(target, Integer, primary_key=True),
        Column("territory_id", Integer, nullable=False),
        Column("archived", Boolean, nullable=False),
        Column("year_start", Integer),
        Column("year_end", Integer),
        Index(f"ix_{name}_{target.split('_')[0]}", target, "action_id"),
        Index(f"ix_{name}_live", "territory_id", "archived", "year_start", "year_end"),
    )


action_axis_served = _derived_links("action_axis_served", "axis_id")
action_commune_reached = _derived_links("action_commune_reached", "commune_id")

# Stored figures (issue 12, migration 0007_figure_store). `data_version.n` is incremented by a
# database trigger at the commit of every transaction that writes a table the figures read
# (every table but these two, the accounts and the audit log); `figure_summary` holds figures
# computed by perr_model.figures for one version: a row whose version is not the current one is
# never read (perr_model/figures/stored.py).
data_version = Table(
    "data_version", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)
figure_summary = Table(
    "figure_summary", Base.metadata,
    Column("name", String(120), primary_key=True),      # module.function of the figure
    Column("args", String(400), primary_key=True),      # its arguments, canonical JSON
    Column("territory_id", Integer),                    # for reading and clean-up
    Column("year", Integer),                            # None: all years (or no year)
    Column("version", BigInteger, nullable=False),      # data_version.n it was computed at
    Column("payload", Text, nullable=False),            # JSON (perr_model/figures/stored.py)
    Column("computed_at", DateTime, nullable=False),
    Index("ix_figure_summary_version", "version"),
)
# The scope of a write (issue 27, migration 0017_data_change): one row per territory a write
# said it changed, with the versions it moved the data from and to; `years` is a JSON list
# (None: every year). The refresher recomputes only those figures when the rows explain every
# version since the stored ones (perr_model/figures/stored.py), everything otherwise.
data_change = Table(
    "data_change", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("n_before", BigInteger, nullable=False),
    Column("n_after", BigInteger, nullable=False),
    Column("territory_id", Integer, nullable=False),
    Column("years", String(400)),
    Index("ix_data_change_n_after", "n_after"),
)
# Tables without a version trigger: these two, the accounts and the audit log (no figure reads
# them), and the derived link tables (written only by triggers of tables that have one).
UNVERSIONED_TABLES = frozenset({"data_version", "figure_summary", "data_change",
                                "alembic_version",
                                "audit_log", "user_account", "user_commune", "session_token",
                                "sign_in_throttle",
                                "action_axis_served", "action_commune_reached"})

user_commune = Table(
    "user_commune", Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True),
)


# --- territory and places ---------------------------------------------------------------------

class Pillar(Base):
    """The national pillars of a contrat de ville (plus 'transversal' for governance items)."""
    __tablename__ = "pillar"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Territory(Base):
    """An EPT (or any grouping of communes holding one or more contrats de ville)."""
    __tablename__ = "territory"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="EPT")
    departments: Mapped[str | None] = mapped_column(String(40))  # "93" or "93,95"
    protocol_title: Mapped[str | None] = mapped_column(Text)
    protocol_date: Mapped[date | None] = mapped_column(Date)      # date on the document
    signed_date: Mapped[date | None] = mapped_column(Date)        # date of signature
    period: Mapped[str | None] = mapped_column(String(40))        # e.g. "2020-2022"
    source: Mapped[str | None] = mapped_column(Text)              # document the referential comes from
    axes_from_pillars: Mapped[bool] = mapped_column(Boolean, default=False)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    communes: Mapped[list[Commune]] = relationship(back_populates="territory")
    axes: Mapped[list[Axis]] = relationship(back_populates="territory", order_by="Axis.position")


class ContratDeVille(Base):
    """A contrat de ville of one generation (perr_model.contrats): 2015 (CVnnn, 2015–2023) or
    2024 (CNdddddX, 2024–2030; overseas CVnnn). A code is unique within its generation."""
    __tablename__ = "contrat_de_ville"
    __table_args__ = (UniqueConstraint("code", "generation",
                                       name="uq_contrat_de_ville_code_generation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))                 # ANCT code, CVnnn / CNdddddX
    generation: Mapped[int] = mapped_column(Integer, default=2015, server_default="2015")
    name: Mapped[str] = mapped_column(String(200))
    collectivities: Mapped[str | None] = mapped_column(String(60))  # codgeo: SIREN / INSEE
    departments: Mapped[str | None] = mapped_column(String(40))     # insee_dep, "13,84"
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class Commune(Base):
    __tablename__ = "commune"
    id: Mapped[int] = mapped_column(primary_key=True)
    insee_code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)
    contrat_de_ville_id: Mapped[int | None] = mapped_column(ForeignKey("contrat_de_ville.id"),
                                                            index=True)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    geometry: Mapped[str | None] = mapped_column(Text)           # GeoJSON geometry, WGS84
    bbox_min_lon: Mapped[float | None] = mapped_column(Float)
    bbox_min_lat: Mapped[float | None] = mapped_column(Float)
    bbox_max_lon: Mapped[float | None] = mapped_column(Float)
    bbox_max_lat: Mapped[float | None] = mapped_column(Float)
    geometry_source: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    territory: Mapped[Territory | None] = relationship(back_populates="communes")
    contrat_de_ville: Mapped[ContratDeVille | None] = relationship()
    qpvs: Mapped[list[Qpv]] = relationship(secondary=qpv_commune, back_populates="communes")


class Qpv(Base):
    """A quartier prioritaire. Named by a protocol (code unknown) or imported from ANCT files."""
    __tablename__ = "qpv"
    __table_args__ = (Index("ix_qpv_bbox", "bbox_min_lon", "bbox_min_lat"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(12), unique=True)  # QP093xxx / QN09301x
    generation: Mapped[int | None] = mapped_column(Integer)            # 2015 or 2024
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[str | None] = mapped_column(Text)      # other spellings, "|" separated
    population: Mapped[int | None] = mapped_column(Integer)
    geometry: Mapped[str | None] = mapped_column(Text)     # GeoJSON geometry, WGS84
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    bbox_min_lon: Mapped[float | None] = mapped_column(Float)
    bbox_min_lat: Mapped[float | None] = mapped_column(Float)
    bbox_max_lon: Mapped[float | None] = mapped_column(Float)
    bbox_max_lat: Mapped[float | None] = mapped_column(Float)
    named_in_protocol: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    communes: Mapped[list[Commune]] = relationship(secondary=qpv_commune, back_populates="qpvs")


# --- the PERR referential ---------------------------------------------------------------------

class ReferentialFrame(Base):
    """A frame of a territory's referential (migration 0014): its PERR (kind "perr") or its
    contrat de ville 2024–2030 ("contrat-2024"), each with its years (None: not stated by the
    document) and its own axes and commitments (`Axis.frame_id`, `Commitment.frame_id`; an
    axis or commitment without frame belongs to every year). The frame of a year:
    `figures.scope.frame_of`."""
    __tablename__ = "referential_frame"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    year_start: Mapped[int | None] = mapped_column(Integer)
    year_end: Mapped[int | None] = mapped_column(Integer)


class Axis(Base):
    __tablename__ = "axis"
    __table_args__ = (UniqueConstraint("territory_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    number: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    short_title: Mapped[str | None] = mapped_column(String(120))
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 0013
    # its frame (0014; a plain integer column on SQLite, where a column added by ALTER TABLE
    # could not be dropped again with its reference)
    frame_id: Mapped[int | None] = mapped_column(Integer, index=True)

    territory: Mapped[Territory] = relationship(back_populates="axes")
    pillar: Mapped[Pillar | None] = relationship()
    strategic_objectives: Mapped[list[StrategicObjective]] = relationship(
        back_populates="axis", order_by="StrategicObjective.position", cascade="all, delete-orphan")


class StrategicObjective(Base):
    __tablename__ = "strategic_objective"
    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 0013

    axis: Mapped[Axis] = relationship(back_populates="strategic_objectives")
    groups: Mapped[list[ObjectiveGroup]] = relationship(
        back_populates="strategic_objective", order_by="ObjectiveGroup.position",
        cascade="all, delete-orphan")


class ObjectiveGroup(Base):
    """A numbered heading under a strategic objective ("1. Renforcer l'attractivité ...")."""
    __tablename__ = "objective_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    strategic_objective_id: Mapped[int] = mapped_column(
        ForeignKey("strategic_objective.id", ondelete="CASCADE"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 0013

    strategic_objective: Mapped[StrategicObjective] = relationship(back_populates="groups")
    objectives: Mapped[list[OperationalObjective]] = relationship(
        back_populates="group", order_by="OperationalObjective.position",
        cascade="all, delete-orphan")
    examples: Mapped[list[ExampleAction]] = relationship(
        back_populates="group", order_by="ExampleAction.position", cascade="all, delete-orphan")


class OperationalObjective(Base):
    __tablename__ = "operational_objective"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("objective_group.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 0013

    group: Mapped[ObjectiveGroup] = relationship(back_populates="objectives")


class ExampleAction(Base):
    """An 'Exemple d'action' of the referential: an idea, not an action under way."""
    __tablename__ = "example_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("objective_group.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))

    group: Mapped[ObjectiveGroup] = relationship(back_populates="examples")


class Commitment(Base):
    """A commune's engagement (Paris Est Marne & Bois annex: theme → numbered commitment)."""
    __tablename__ = "commitment"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    theme: Mapped[str] = mapped_column(Text)
    theme_position: Mapped[int] = mapped_column(Integer)
    sub_theme: Mapped[str | None] = mapped_column(Text)   # e.g. "Axe prioritaire n°1 – ..."
    number: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[str | None] = mapped_column(Text)     # JSON list of figures quoted in the text
    axis_id: Mapped[int | None] = mapped_column(ForeignKey("axis.id"), index=True)
    pillar_id: Mapped[int | None] = mapped_column(ForeignKey("pillar.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 0013
    frame_id: Mapped[int | None] = mapped_column(Integer, index=True)  # as Axis.frame_id
    # the protocol's context about it (dates, the past, a signature), one line each: lines of
    # its « actions en cours » a reader judged not to be actions (`decision: note` in the YAML)
    note: Mapped[str | None] = mapped_column(Text)

    commune: Mapped[Commune] = relationship()
    axis: Mapped[Axis | None] = relationship()
    pillar: Mapped[Pillar | None] = relationship()
    qpvs: Mapped[list[Qpv]] = relationship(secondary=commitment_qpv)


class GovernanceBody(Base):
    __tablename__ = "governance_body"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Signatory(Base):
    """A signatory of the protocol. `person_name` is personal data: never on a public page."""
    __tablename__ = "signatory"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(Text)                # "Le Maire de Drancy"
    person_name: Mapped[str | None] = mapped_column(String(200))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))


class CiteEducative(Base):
    __tablename__ = "cite_educative"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(Text)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    qpv_id: Mapped[int | None] = mapped_column(ForeignKey("qpv.id"))
    intro: Mapped[str | None] = mapped_column(Text)

    objectives: Mapped[list[CiteEducativeObjective]] = relationship(
        order_by="CiteEducativeObjective.position", cascade="all, delete-orphan")


class CiteEducativeObjective(Base):
    __tablename__ = "cite_educative_objective"
    id: Mapped[int] = mapped_column(primary_key=True)
    cite_id: Mapped[int] = mapped_column(ForeignKey("cite_educative.id", ondelete="CASCADE"),
                                         index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cite_educative_objective.id"))
    number: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


# --- actions and money ------------------------------------------------------------------------

ACTION_STATUSES = ("en_projet", "programmee", "en_cours", "terminee", "abandonnee")
ACTION_ORIGINS = ("protocol", "import", "manual", "anct", "synthetic")


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_territory_status", "territory_id", "status"),
        Index("ix_action_year_start", "year_start"),
        # live actions of a territory for a year, read from the index alone (0002_scale; id and
        # holder_name added by 0004: PostgreSQL needs them in the index for an index-only scan
        # of the ids and of the holders counted by the headline figures)
        Index("ix_action_live", "territory_id", "archived", "year_start", "year_end", "id",
              "holder_name"),
        # the Actions list sorted by title, read in index order (0008)
        Index("ix_action_title", "territory_id", "title", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(80), unique=True)  # stable key for re-imports
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    holder_name: Mapped[str | None] = mapped_column(String(300))    # porteur (organisation)
    holder_siret: Mapped[str | None] = mapped_column(String(14))
    contact_name: Mapped[str | None] = mapped_column(String(200))   # personal: never public
    contact_email: Mapped[str | None] = mapped_column(String(200))  # personal: never public
    contact_phone: Mapped[str | None] = mapped_column(String(40))   # personal: never public
    status: Mapped[str] = mapped_column(String(20), default="en_cours")
    # False: nobody gave the status (the protocol's actions « en cours », an import or a form
    # without one): « statut non renseigné », left out of the progress (0016)
    status_reported: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    year_start: Mapped[int | None] = mapped_column(Integer)
    year_end: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    target_public: Mapped[str | None] = mapped_column(Text)
    beneficiaries_planned: Mapped[int | None] = mapped_column(Integer)
    beneficiaries_achieved: Mapped[int | None] = mapped_column(Integer)
    figures: Mapped[str | None] = mapped_column(Text)     # JSON list of figures quoted in the text
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    source: Mapped[str | None] = mapped_column(Text)      # document / file it came from
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))  # personal: never public
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))  # personal: never public

    communes: Mapped[list[Commune]] = relationship(secondary=action_commune)
    qpvs: Mapped[list[Qpv]] = relationship(secondary=action_qpv)
    axes: Mapped[list[Axis]] = relationship(secondary=action_axis)
    objectives: Mapped[list[OperationalObjective]] = relationship(secondary=action_objective)
    commitments: Mapped[list[Commitment]] = relationship(secondary=action_commitment)
    funding_lines: Mapped[list[FundingLine]] = relationship(
        back_populates="action", cascade="all, delete-orphan")


from .vocabulary import FUNDER_LABELS as FUNDERS  # noqa: E402 - labels live in one place


class FundingLine(Base):
    """Money for an action (requested/approved) or a State-funded post of a contrat de ville."""
    __tablename__ = "funding_line"
    __table_args__ = (
        Index("ix_funding_cv_year", "contrat_de_ville_id", "year"),
        # amounts per action and year without touching the table (0002_scale)
        Index("ix_funding_line_action_year", "action_id", "year", "funder", "amount_approved",
              "amount_requested"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"),
                                                  index=True)
    contrat_de_ville_id: Mapped[int | None] = mapped_column(ForeignKey("contrat_de_ville.id"))
    funder: Mapped[str] = mapped_column(String(40), index=True)   # a key of FUNDERS
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    amount_requested: Mapped[float | None] = mapped_column(Numeric(14, 2))
    amount_approved: Mapped[float | None] = mapped_column(Numeric(14, 2))
    holder_name: Mapped[str | None] = mapped_column(String(300))
    holder_siret: Mapped[str | None] = mapped_column(String(14))
    external_ref: Mapped[str | None] = mapped_column(String(80))  # e.g. ANCT id_poste
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    source: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    action: Mapped[Action | None] = relationship(back_populates="funding_lines")
    contrat_de_ville: Mapped[ContratDeVille | None] = relationship()


# --- people, history, datasets -----------------------------------------------------------------

ROLES = ("admin", "editor", "reader")


class UserAccount(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    # the name as it is matched: NFC + case-folded in Python (perr_model/login_names.py), set
    # whenever `username` is; every look-up by name goes through it (0011_sign_in_throttle)
    login: Mapped[str | None] = mapped_column(String(120), index=True, unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))  # personal
    email: Mapped[str | None] = mapped_column(String(200))         # personal
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: OIDC-only account
    role: Mapped[str] = mapped_column(String(20), default="reader")
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    communes: Mapped[list[Commune]] = relationship(secondary=user_commune)

    @validates("username")
    def _set_login(self, _key: str, value: str) -> str:
        from .login_names import login_key
        self.login = login_key(value)
        return value


class SignInThrottle(Base):
    """One count of failed sign-ins (perr_model/throttle.py): of an account (`compte:` + its
    login) or of a client (`client:` + its address). Failures since the count was last
    forgotten, the last one, and the end of the wait it imposes (None: no wait)."""
    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class SessionToken(Base):
    """A browser signed in to an account (docs/auth.md): only the sha256 of the token its
    cookie holds is kept. `pending`: the row's hash is still that of the one-time code the page
    exchanges for the cookie (perr_model/session_tokens.py)."""
    __tablename__ = "session_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    account: Mapped[UserAccount] = relationship()


class AuditLog(Base):
    """Who changed what, when: `changes` is JSON {field: [old, new]} or a full snapshot."""
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str | None] = mapped_column(String(120))  # personal: never public
    operation: Mapped[str] = mapped_column(String(20))         # create/update/archive/restore/import
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[str | None] = mapped_column(Text)         # state after the change (JSON)


class Dataset(Base):
    """Provenance of each loaded dataset, shown on the À propos page."""
    __tablename__ = "dataset"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    rows: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


# --- evaluation: indicators and their values (issue 15, migration 0006_indicators) -------------

INDICATOR_NODES = ("territory", "axis", "strategic_objective", "operational_objective",
                   "commitment")
INDICATOR_VALUE_KINDS = ("reference", "cible", "mesure")


class Indicator(Base):
    """An evaluation indicator attached to one node of the referential (or to the territory as a
    whole), optionally to a commune or a quartier. `direction`: "hausse" (higher is better),
    "baisse" (lower is better) or None (context figure). `aggregation`: "somme" when values of
    quartiers add up to the commune and communes to the territory (counts), None otherwise
    (rates, means, gaps: never averaged)."""
    __tablename__ = "indicator"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"),
                                              index=True)
    node_kind: Mapped[str] = mapped_column(String(30), default="territory")
    axis_id: Mapped[int | None] = mapped_column(ForeignKey("axis.id", ondelete="CASCADE"),
                                                index=True)
    strategic_objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategic_objective.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("operational_objective.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id", ondelete="CASCADE"),
                                                   index=True)
    qpv_id: Mapped[int | None] = mapped_column(ForeignKey("qpv.id", ondelete="CASCADE"),
                                               index=True)
    label: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str | None] = mapped_column(String(10))
    aggregation: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan",
        order_by="IndicatorValue.year")


class IndicatorValue(Base):
    """One value of an indicator: baseline (reference), target (cible) or measured (mesure), for
    a year (None: the document gives no year). `approximate`: the text says "environ", "une
    quinzaine", "plus de"...; `quoted` is the figure as written. `entered_by` is personal."""
    __tablename__ = "indicator_value"
    __table_args__ = (Index("ix_indicator_value_key", "indicator_id", "kind", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))          # reference | cible | mesure
    year: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    quoted: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)       # document, observatory, survey
    source_place: Mapped[str | None] = mapped_column(Text)  # section / place in the document
    origin: Mapped[str] = mapped_column(String(20), default="manual")  # protocol|import|manual
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    entered_by: Mapped[str | None] = mapped_column(String(120))  # personal: never public
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="values")
