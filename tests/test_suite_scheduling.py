"""make test's `--dist loadgroup` keeps each group of browser tests on one worker, the two groups
on the two workers (tests/suite_scheduling)."""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RECORD = """import os
def _record(name):
    with open(os.environ["WHERE"], "a") as f:
        f.write(name + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_browser_tests_run_on_one_worker(tmp_path):
    tests = tmp_path / "tests"
    (tests / "e2e").mkdir(parents=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (tests / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
        "import pytest\n\n@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_xdist_make_scheduler(config, log):\n"
        "    from suite_scheduling import make_scheduler\n"
        "    return make_scheduler(config, log)\n")
    # two browser groups: a module of the public reading tests, and two others
    modules = [(tests / "e2e", "public", "test_accessibility"),
               (tests / "e2e", "browser", "test_browser_0"), (tests / "e2e", "browser", "test_browser_1"),
               *((tests, "unit", f"test_unit_{f}") for f in range(3))]
    for folder, prefix, name in modules:
        body = RECORD + "".join(
            f"def test_{i}():\n    import time; time.sleep(0.2); _record('{prefix}')\n"
            for i in range(4))
        (folder / f"{name}.py").write_text(body)
    where = tmp_path / "where.txt"
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
                          "-p", "no:randomly", "-p", "no:cacheprovider"], cwd=tmp_path,
                         env={**os.environ, "WHERE": str(where)}, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    runs = [line.split() for line in where.read_text().splitlines()]
    browser = {w for kind, w in runs if kind == "browser"}
    public = {w for kind, w in runs if kind == "public"}
    unit = {w for kind, w in runs if kind == "unit"}
    assert len(runs) == 24
    assert len(browser) == 1 and len(public) == 1   # each browser group on one worker
    assert browser != public                        # the two groups on the two workers
    assert unit and unit <= {"gw0", "gw1"}          # the others to whichever worker is free


def test_no_two_test_modules_share_a_name():
    # without __init__.py, pytest imports test modules by their bare name: two files called
    # test_x.py (tests/ and tests/e2e/) stop the whole run with « import file mismatch »
    names = [p.name for p in HERE.rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
