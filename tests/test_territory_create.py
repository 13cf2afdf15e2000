"""A territory in minutes: `territory create` (CLI) and the page « Créer un territoire » make a
new territory with its contract of 2024, its communes and their QPV 2024 from the national
extract committed in data/ (no ../shared needed).

The store: the embedded referential and the commune contours of 93 and 94, but no official QPV
(so every QPV of the new territory can only come from the national extract). Expected QPV are
read here from the extract with gzip + json, never through the importer.
"""
import gzip
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from page_support import Page, on, sql, sql_rows, svg_groups, map_pictures  # noqa: F401
from perr_model import cli
from perr_model.auth import Actor
from perr_model.store import make_engine, write_session

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = ROOT / "data" / "geo" / "qpv-2024-france.geojson.gz"
EST_ENSEMBLE = ["93006", "93008", "93010", "93045", "93048", "93053", "93055", "93061", "93063"]
NAMES = ["Bagnolet", "Bobigny", "Bondy", "Les Lilas", "Montreuil", "Noisy-le-Sec", "Pantin",
         "Le Pré-Saint-Gervais", "Romainville"]
PAGE = str(ROOT / "pages" / "creer_territoire.py")


def fill_contours_only(url: str) -> None:
    """The embedded referential, then the commune contours of 93 and 94 (no QPV file)."""
    from perr_model.importers.communes import load_communes
    from perr_model.importers.embedded import load_embedded
    from perr_model.importers.geofile import read_geo_file
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as session:
            load_embedded(session, official=False)
            load_communes(session, read_geo_file(ROOT / "data" / "geo" / "communes-93-94.geojson",
                                                 "communes"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def contours_url(request, tmp_path, store_from_template):
    yield from store_from_template(request, tmp_path, fill_contours_only)


def expected_qpv(codes: list[str]) -> dict[str, set[str]]:
    """QPV code -> its listed communes, for the extract's features listing one of `codes`."""
    doc = json.loads(gzip.decompress(EXTRACT.read_bytes()))
    out = {}
    for f in doc["features"]:
        listed = {c.strip() for c in f["properties"]["insee_com"].split(",")}
        if listed & set(codes):
            out[f["properties"]["code_qp"]] = listed
    return out


def run(url: str, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main(list(args))
    return status, out.getvalue(), err.getvalue()


def territory_qpv(url: str, slug: str) -> dict[str, set[str]]:
    """QPV code -> INSEE codes of all its linked communes, for the QPV of the territory."""
    rows = sql_rows(url, "select q.code, c.insee_code from qpv q "
                         "join qpv_commune l on l.qpv_id = q.id join commune c on c.id = l.commune_id "
                         "where q.generation = 2024 and q.id in (select l2.qpv_id from qpv_commune l2 "
                         "join commune c2 on c2.id = l2.commune_id join territory t on "
                         "t.id = c2.territory_id where t.slug = :s)", s=slug)
    out: dict[str, set[str]] = {}
    for code, insee in rows:
        out.setdefault(code, set()).add(insee)
    return out


def snapshot(url: str) -> tuple:
    return (sql_rows(url, "select slug from territory order by slug"),
            sql_rows(url, "select insee_code, territory_id from commune order by insee_code"),
            sql_rows(url, "select code, generation, territory_id from contrat_de_ville "
                          "order by code, generation"),
            sql(url, "select count(*) from qpv"))


def test_est_ensemble_from_codes_gets_the_qpv_of_its_communes(contours_url, monkeypatch):
    assert sql(contours_url, "select count(*) from qpv where code is not null") == 0
    expected = expected_qpv(EST_ENSEMBLE)
    assert len(expected) == 22  # hand-checked: 21 QPV of those communes + QN09328M (4 communes)
    status, out, err = run(contours_url, monkeypatch, "territory", "create", "Est Ensemble",
                           "--contract", "CN09301I", "--communes", ",".join(EST_ENSEMBLE))
    assert status == 0, err
    assert "Territoire « Est Ensemble » créé (adresse : est-ensemble)" in out
    assert sql_rows(contours_url, "select slug, name, kind, departments from territory "
                                  "where slug = 'est-ensemble'") == [
        ("est-ensemble", "Est Ensemble", "EPT", "93")]
    assert sorted(r[0] for r in sql_rows(
        contours_url, "select c.insee_code from commune c join territory t on "
                      "t.id = c.territory_id where t.slug = 'est-ensemble'")) == EST_ENSEMBLE
    assert sql_rows(contours_url, "select cv.code, cv.generation, cv.name, cv.collectivities "
                                  "from contrat_de_ville cv join territory t on "
                                  "t.id = cv.territory_id where t.slug = 'est-ensemble'") == [
        ("CN09301I", 2024, "Est Ensemble", "200057875")]
    assert territory_qpv(contours_url, "est-ensemble") == expected
    # the extract was read for these communes only
    assert sql(contours_url, "select count(*) from qpv where code is not null") == len(expected)
    # export qpv --territory lists exactly them
    status, out, err = run(contours_url, monkeypatch, "export", "qpv", "--territory",
                           "est-ensemble")
    assert status == 0, err
    features = json.loads(out)["features"]
    assert {f["properties"]["code"] for f in features} == set(expected)
    assert all(f["geometry"] and f["properties"]["generation"] == 2024 for f in features)
    status, out, _ = run(contours_url, monkeypatch, "export", "qpv", "--territory",
                         "paris-terres-d-envol")
    assert not {f["properties"]["code"] for f in json.loads(out)["features"]} & (
        set(expected) - {"QN09305I", "QN09311M", "QN09314M"})  # shared with Drancy, Le Blanc-Mesnil


def test_names_are_accepted_for_communes_and_contract(contours_url, monkeypatch):
    status, out, err = run(contours_url, monkeypatch, "territory", "create", "Est Ensemble",
                           "--contract", "est ensemble", "--communes", ", ".join(NAMES))
    assert status == 0, err
    assert sorted(r[0] for r in sql_rows(
        contours_url, "select c.insee_code from commune c join territory t on "
                      "t.id = c.territory_id where t.slug = 'est-ensemble'")) == EST_ENSEMBLE
    assert territory_qpv(contours_url, "est-ensemble") == expected_qpv(EST_ENSEMBLE)


@pytest.mark.parametrize("name, contract, communes, message", [
    ("Est Ensemble", "CN09301I", "93006,Trifouillis",
     "« Trifouillis » : nom de commune inconnu dans le département 93"),
    ("Est Ensemble", "CN09301I", "93006,94017",
     "« 94017 » : commune d'un autre département que celui du contrat (93)."),
    ("Est Ensemble", "CN09301I", "Bagnolet,Vincennes",
     "« Vincennes » : commune d'un autre département que celui du contrat (93) : 94080 Vincennes."),
    ("Paris Terres d'Envol", "CN09301I", "93006",
     "Le territoire « Paris Terres d'Envol » existe déjà."),
    ("Est Ensemble", "CN09301I", "93006,93005",
     "« 93005 » : la commune 93005 Aulnay-sous-Bois appartient déjà au territoire "
     "« Paris Terres d'Envol »."),
    ("Est Ensemble", "CN09304M", "93006",
     "Le contrat de ville CN09304M est déjà celui du territoire « Paris Terres d'Envol »."),
    ("Est Ensemble", "Nulle part", "93006",
     "Contrat de ville « Nulle part » introuvable dans la liste nationale"),
    ("Est Ensemble", "CN09301I", "93006,Bagnolet",
     "« Bagnolet » : commune 93006 Bagnolet indiquée deux fois."),
])
def test_refusals_are_french_and_write_nothing(contours_url, monkeypatch, name, contract,
                                               communes, message):
    before = snapshot(contours_url)
    status, out, err = run(contours_url, monkeypatch, "territory", "create", name,
                           "--contract", contract, "--communes", communes)
    assert status == 1
    assert f"  - {message}" in err, err
    assert "non créé" in err and not out
    assert snapshot(contours_url) == before


def test_a_commune_missing_from_the_store_points_to_geo_fetch(contours_url, monkeypatch):
    with make_engine(contours_url, read_only=False).begin() as c:
        c.execute(text("delete from commune where insee_code = '93061'"))
    status, _, err = run(contours_url, monkeypatch, "territory", "create", "Est Ensemble",
                         "--contract", "CN09301I", "--communes", "93006,93061")
    assert status == 1
    assert "« 93061 » : commune absente de la base" in err
    assert "geo fetch --department 93" in err and "--from FICHIER" in err


def test_communes_without_contour_are_named_with_the_way_to_get_them(contours_url, monkeypatch):
    with make_engine(contours_url, read_only=False).begin() as c:
        c.execute(text("update commune set geometry = null where insee_code = '93061'"))
    status, out, err = run(contours_url, monkeypatch, "territory", "create", "Est Ensemble",
                           "--contract", "CN09301I", "--communes", ",".join(EST_ENSEMBLE))
    assert status == 0, err
    line = next(x for x in out.splitlines() if x.startswith("Contours absents"))
    assert "1 commune(s) (93061 Pré-Saint-Gervais)" in line
    assert "geo fetch --department 93" in line


def test_the_administration_page_creates_one(contours_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", contours_url)
    monkeypatch.delenv("PERR_PUBLIC", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["actor"] = Actor.system("admin-test")
    at.session_state["role"], at.session_state["user"] = "admin", "admin-test"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [box] = at.selectbox
    box.set_value("CN09301I")
    at.text_input[0].set_value("Est Ensemble")
    at.text_area[0].set_value("\n".join(NAMES[:4] + EST_ENSEMBLE[4:]))
    next(b for b in at.button if "créer" in b.label.lower()).click()
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == [
        "Territoire « Est Ensemble » créé (adresse : est-ensemble), contrat de ville 2024-2030 "
        "CN09301I « 93 - Est Ensemble »."]
    assert territory_qpv(contours_url, "est-ensemble") == expected_qpv(EST_ENSEMBLE)
    # and its Couverture page draws them on the map
    tid = sql(contours_url, "select id from territory where slug = 'est-ensemble'")
    p = Page(contours_url, "pages/couverture.py", tid)
    [picture] = map_pictures(p.at)
    groups = svg_groups(picture["svg"])
    assert len(groups["qpv"]) == len(expected_qpv(EST_ENSEMBLE))
    assert len(groups["communes"]) == len(EST_ENSEMBLE)


def test_the_page_shows_a_refusal_and_creates_nothing(contours_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", contours_url)
    before = snapshot(contours_url)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["actor"] = Actor.system("admin-test")
    at.session_state["role"], at.session_state["user"] = "admin", "admin-test"
    at.run()
    at.selectbox[0].set_value("CN09301I")
    at.text_area[0].set_value("93006, 94017")
    next(b for b in at.button if "créer" in b.label.lower()).click()
    at.run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["Territoire « Est Ensemble » non créé : 1 problème(s)."]
    assert "commune d'un autre département" in at.markdown[-1].value
    assert snapshot(contours_url) == before


@pytest.mark.parametrize("actor", [Actor("cdp", "editor"), Actor("admin-pte", "admin",
                                                                 territory_id=1)])
def test_only_administrators_of_every_territory_create_one(contours_url, actor):
    from perr_model.errors import PermissionDenied
    from perr_model.territories import create_territory
    before = snapshot(contours_url)
    engine = make_engine(contours_url, read_only=False)
    try:
        with pytest.raises(PermissionDenied), write_session(engine) as session:
            create_territory(session, actor, "Est Ensemble", "CN09301I", EST_ENSEMBLE)
    finally:
        engine.dispose()
    assert snapshot(contours_url) == before


NATIONAL_CONTOURS = ROOT.parent / "shared" / "data" / "geo" / "communes-france.geojson.gz"


@pytest.mark.skipif(not NATIONAL_CONTOURS.exists(),
                    reason="../shared/data/geo/communes-france.geojson.gz absent (the contours "
                    "of the Rhône, not shipped: data/geo has those of 93 and 94 only)")
def test_a_qpv_listing_a_changed_commune_code_comes_with_the_commune_it_lies_in(contours_url,
                                                                                tmp_path):
    """Haute Roche (QN06912M) lists 69149 (Oullins-Pierre-Bénite since 2024) and lies wholly
    in Pierre-Bénite (69152) of the 2018 contours: a territory of Pierre-Bénite gets it, linked
    to 69152 by its perimeter; the QPV listing 69149 elsewhere stay out."""
    from perr_model.importers.communes import import_communes
    from perr_model.territories import create_territory
    doc = json.loads(gzip.decompress(NATIONAL_CONTOURS.read_bytes()))
    doc["features"] = [f for f in doc["features"] if f["properties"]["code"][:2] == "69"]
    contours = tmp_path / "communes-69.geojson"
    contours.write_text(json.dumps(doc), encoding="utf-8")
    engine = make_engine(contours_url, read_only=False)
    try:
        import_communes(engine, contours, actor=Actor.system("test"))
        with write_session(engine) as session:
            report = create_territory(session, Actor.system("test"), "Essai Pierre-Bénite",
                                      "CN06904M", ["69152"])
    finally:
        engine.dispose()
    listing = expected_qpv(["69152"])           # those listing Pierre-Bénite itself
    assert "QN06912M" not in listing and expected_qpv(["69149"])["QN06912M"] == {"69149"}
    stored = sql_rows(contours_url, "select q.code from qpv q join qpv_commune l on "
                      "l.qpv_id = q.id join commune c on c.id = l.commune_id "
                      "where c.insee_code = '69152' order by 1")
    assert [r[0] for r in stored] == sorted(set(listing) | {"QN06912M"})
    imported = {r[0] for r in sql_rows(contours_url,
                                       "select code from qpv where code is not null")}
    assert imported == set(listing) | {"QN06912M"}  # none of 69149's others
    assert any(line.startswith("QN06912M") and "69152" in line
               for line in report.qpv.linked_by_area), report.qpv.linked_by_area
