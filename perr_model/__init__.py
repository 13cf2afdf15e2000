"""PERR store: data model, importers, queries and reports. Never imports streamlit."""
__version__ = "0.1.0"
