"""The COPIL document (PDF to hand out, XLSX of the same tables) of one scope.

- `data`        `copil_data()`: every figure of the document, from `perr_model.figures` (no SQL,
                no aggregation), and the key figures' names;
- `evaluation`  the "Évaluation" section (indicators, planned vs achieved): its figures, its
                PDF pages and its XLSX sheets;
- `pdf`         the PDF layout (fpdf2) and its maps (matplotlib);
- `xlsx`        the workbook, one sheet per table;
- `document`    both files of one scope: `build_copil()` (the CLI), `copil_bytes()` (the page).
"""
