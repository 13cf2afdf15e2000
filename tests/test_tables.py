"""perr_ui.tables: data in HTML tables is text (escaped), French numbers, nothing for empty."""
import math

import pandas as pd

from perr_ui.tables import table_html


def test_cells_are_escaped_text_and_numbers_are_french():
    df = pd.DataFrame({"t": ["<script>alert(1)</script>", "[lien](http://x.fr) & co", None],
                       "m": [1234567.0, math.nan, 12.0], "y": [2022.0, None, 2024]})
    out = table_html(df, {"t": "Titre <b>", "m": "Montant", "y": "Année"}, title="t",
                     kinds={"m": "euros"}, caption="Essai & <i>")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<b>" not in out and "<i>" not in out and "&amp; co" in out
    assert "1\u202f234\u202f567\u00a0€" in out or "1 234 567 €" in out.replace("\u202f", " ").replace("\u00a0", " ")
    assert ">2022<" in out and "2022.0" not in out
    assert "None" not in out and "nan" not in out
    assert out.count('<th scope="row">') == 3 and out.count('<th scope="col"') == 3
    assert 'class="vide"' in out  # empty cells left out of a phone's card


def test_sources_are_named_without_file_names():
    from perr_model.vocabulary import human_source
    assert human_source("perr-paris-est-marne-et-bois-annexe-1.md — Champigny-sur-Marne, "
                        "Cadre de vie") == "Protocole, annexe 1 — Champigny-sur-Marne, Cadre de vie"
    assert human_source("ANCT, cartographie Ci-VILLE (contrats-de-ville.geojson)") == \
        "ANCT, cartographie Ci-VILLE"
    assert human_source("Relus à la main : data/referential/indicators.yaml") == \
        "Relus à la main"
    assert human_source("Import (colonnes CODE_QP, NOM_QP)") == "Import"
    assert human_source("IGN, ADMIN EXPRESS COG 2018") == "IGN, ADMIN EXPRESS COG 2018"
    assert human_source(None) == "" and human_source(float("nan")) == ""
