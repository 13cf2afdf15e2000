"""Exports: one module per kind (referential JSON, geo GeoJSON, funding CSV)."""
