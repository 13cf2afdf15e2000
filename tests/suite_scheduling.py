"""How `make test` shares the tests between its xdist workers (`--dist loadgroup`).

The browser tests (tests/e2e) go in two units (`browser_group`), each to one worker: the tests
of a unit share one Chromium and the `streamlit run` servers they start. Every other test goes on its own to whichever worker is free.
xdist 3.8's own loadgroup groups by renaming `Item._nodeid`, which pytest 9 no longer reads (a
node's id is `Item._id`): its groups were silently ignored, and each worker ran browser tests
with its own Chromium and servers. tests/test_suite_scheduling.py runs a small suite to check.
"""
from __future__ import annotations

BROWSER_TESTS = "tests/e2e/"
# The browser tests come in two groups of about the same length, each the unit of one worker
# (xdist hands the two largest units out first, one to each worker): the public instance's
# reading tests, and the others (editing, walkthroughs, fresh servers). One group for all made
# its worker the suite's tail (13 min 37 s for 1 657 tests on two free cores).
PUBLIC_READING = {
    "test_accessibility.py", "test_browse_reading_pages.py", "test_evaluation_browser.py",
    "test_fiche_quartier_browser.py", "test_phone_reading.py", "test_public_browser.py",
    "test_public_errors_browser.py", "test_quartier_resident.py", "test_resident_words.py",
    "test_shared_addresses.py", "test_text_from_data.py", "test_walkthrough_resident.py",
}


def browser_group(nodeid: str) -> str | None:
    """The group of a browser test (None for any other test)."""
    if not nodeid.startswith(BROWSER_TESTS):
        return None
    module = nodeid[len(BROWSER_TESTS):].split("::", 1)[0]
    return BROWSER_TESTS + ("lecture-publique" if module in PUBLIC_READING else "autres")


def make_scheduler(config, log):  # noqa: ANN001 - xdist's hook `pytest_xdist_make_scheduler`
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return browser_group(nodeid) or nodeid

    return BrowserTestsTogether(config, log)
