"""Evaluation (issue 15): the protocols' "cadre commun d'évaluation".

- `model`     indicators attached to the referential, their values, reading and writing them
              (role scope, optimistic locking, audit log), roll-ups of values to the commune
              and the territory;
- `progress`  planned vs achieved from the actions (beneficiaries, amounts, status → progress),
              rolled up to objective, axis, commune and quartier, by year;
- `exchange`  one file format both ways (CSV/XLSX) for indicator values: import with a row by
              row report (all or nothing), export with spreadsheet formulas neutralised;
- `embedded`  the protocols' quoted figures (data/referential/indicators.yaml) loaded by init-db.

The "Évaluation" section of the COPIL document (PDF and XLSX) is `perr_model.copil.evaluation`.

See docs/evaluation.md.
"""
