"""`geo fetch`: the --from path, and the download cache exercised on local file:// URLs
(no network here; the official URLs are only checked for their shape)."""
import io
import os
import shutil

import pytest
from sqlalchemy import text

from geofixtures import (COMMUNES_93, COMMUNES_94, QPV_2024, frame, qpv_rows_93,  # noqa: F401
                         referential_url, write)
from perr_model.auth import Actor
from perr_model.cli import main
from perr_model.errors import ImportRefused
from perr_model.importers import fetch

ADMIN = Actor.system("test")


def test_official_urls():
    assert fetch.communes_url("93") == ("https://geo.api.gouv.fr/departements/93/communes"
                                        "?format=geojson&geometry=contour&fields=code,nom")
    resources = [
        {"title": "QP 2015 Shapefile", "format": "zip", "url": "https://x/qp2015.zip"},
        {"title": "QP 2015 GeoJSON", "format": "geojson", "url": "https://x/qp2015.geojson"},
        {"title": "QP2024 France hexagonale WGS84", "format": "geojson",
         "url": "https://x/qp2024_wgs84.geojson"},
        {"title": "QP2024 Lambert 93", "format": "geojson", "url": "https://x/qp2024_l93.geojson"},
    ]
    assert fetch.pick_qpv_resource(resources) == "https://x/qp2024_wgs84.geojson"


def test_cache_downloads_once_then_reuses(tmp_path):
    source = tmp_path / "remote" / "communes.geojson"
    source.parent.mkdir()
    shutil.copy(COMMUNES_93, source)
    cache, progress = tmp_path / "cache", io.StringIO()
    cache.mkdir()
    first = fetch.cached_download(source.as_uri(), "communes-93", cache, progress=progress)
    assert first.read_bytes() == COMMUNES_93.read_bytes()
    assert "100 %" in progress.getvalue()
    source.write_text("changed upstream", encoding="utf-8")
    again = fetch.cached_download(source.as_uri(), "communes-93", cache, progress=io.StringIO())
    assert again == first and again.read_bytes() == COMMUNES_93.read_bytes()
    os.utime(first, (0, 0))  # older than PERR_GEO_CACHE_DAYS: downloaded again
    renewed = fetch.cached_download(source.as_uri(), "communes-93", cache, progress=None)
    assert renewed.read_text(encoding="utf-8") == "changed upstream"
    assert not list(cache.glob("*.part"))


def test_fetch_two_departments_through_the_cache(referential_url, rw_engine, tmp_path, monkeypatch):
    remote = tmp_path / "remote"
    remote.mkdir()
    shutil.copy(COMMUNES_93, remote / "communes-93.geojson")
    shutil.copy(COMMUNES_94, remote / "communes-94.geojson")
    qpv = write(frame(qpv_rows_93(), QPV_2024), remote, "qpv", "geojson")
    monkeypatch.setenv("PERR_GEO_COMMUNES_URL", remote.as_uri() + "/communes-{department}.geojson")
    monkeypatch.setenv("PERR_GEO_QPV_URL", qpv.as_uri())
    engine = rw_engine(referential_url)
    reports = fetch.fetch(engine, ["93", "94"], cache=str(tmp_path / "cache"), progress=None,
                          actor=ADMIN)
    assert [r.kind for r in reports] == ["communes", "communes", "qpv"]
    with engine.connect() as conn:
        assert conn.execute(text("select count(geometry) from commune")).scalar() == 87
        assert conn.execute(text("select count(*) from qpv where code is not null")).scalar() == 3
    assert len(list((tmp_path / "cache").iterdir())) == 3


def test_from_file_keeps_the_department_and_recognises_the_kind(referential_url, rw_engine,
                                                                 tmp_path, monkeypatch):
    both = tmp_path / "communes-93-94.geojson"
    import json
    features = (json.loads(COMMUNES_93.read_text())["features"]
                + json.loads(COMMUNES_94.read_text())["features"])
    both.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    monkeypatch.setenv("DATABASE_URL", referential_url)
    assert main(["geo", "fetch", "--department", "94", "--from", str(both)]) == 0
    engine = rw_engine(referential_url)
    with engine.connect() as conn:
        codes = [r[0] for r in conn.execute(text(
            "select insee_code from commune where geometry is not null"))]
    assert len(codes) == 47 and all(c.startswith("94") for c in codes)


def test_one_refused_file_writes_nothing(referential_url, rw_engine, tmp_path, monkeypatch):
    remote = tmp_path / "remote"
    remote.mkdir()
    shutil.copy(COMMUNES_93, remote / "communes-93.geojson")
    rows = qpv_rows_93()
    for r in rows:  # a file with nothing usable (one odd row would be set aside, not refused)
        r["code_qp"] = "QP93"
    qpv = write(frame(rows, QPV_2024), remote, "qpv", "geojson")
    monkeypatch.setenv("PERR_GEO_COMMUNES_URL", remote.as_uri() + "/communes-{department}.geojson")
    monkeypatch.setenv("PERR_GEO_QPV_URL", qpv.as_uri())
    engine = rw_engine(referential_url)
    with pytest.raises(ImportRefused):
        fetch.fetch(engine, ["93"], cache=str(tmp_path / "cache"), progress=None, actor=ADMIN)
    with engine.connect() as conn:
        assert conn.execute(text("select count(geometry) from commune")).scalar() == 0
