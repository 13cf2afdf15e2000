"""Streamlit-side helpers shared by app.py and pages/ (perr_model never imports streamlit)."""
