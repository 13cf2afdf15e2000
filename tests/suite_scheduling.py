"""How `make test` shares the tests between its xdist workers (`--dist loadgroup`).

The browser tests (tests/e2e) go as one unit to one worker: they share one Chromium and the
`streamlit run` servers they start. Every other test goes on its own to whichever worker is free.
xdist 3.8's own loadgroup groups by renaming `Item._nodeid`, which pytest 9 no longer reads (a
node's id is `Item._id`): its groups were silently ignored, and each worker ran browser tests
with its own Chromium and servers. tests/test_suite_scheduling.py runs a small suite to check.
"""
from __future__ import annotations

BROWSER_TESTS = "tests/e2e/"


def make_scheduler(config, log):  # noqa: ANN001 - xdist's hook `pytest_xdist_make_scheduler`
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return BROWSER_TESTS if nodeid.startswith(BROWSER_TESTS) else nodeid

    return BrowserTestsTogether(config, log)
