"""The modules whose figures `figures.stored.refresh` keeps. Each declares its own, above the
definition (`@stored_figure`, perr_model/figures/registry.py); importing this module imports
them all, so the registry is complete. A module that declares a stored figure is listed here
(`tests/test_figures_stored.py` checks it)."""
from .evaluation import progress  # noqa: F401
from .figures import coverage, gaps, money, places, trend  # noqa: F401
