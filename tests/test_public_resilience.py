"""The public instance stays up while the private side writes (issue 28, item 3).

A writer in its own process (tests/slow_writer.py, the product's write path) inserts 20,000
actions in one transaction. While it writes and holds the transaction, public reads all
succeed and see the data as it was; after a `kill -9` of that writer in the middle of its
transaction, public reads succeed at once (no writable connection needed to recover). A read
that runs past PERR_QUERY_TIMEOUT_MS is interrupted, on SQLite too, with a French message."""
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from perr_model.errors import QueryTimeout
from perr_model.store import Store

WRITER = Path(__file__).with_name("slow_writer.py")
ROWS = 20_000


def _count(url: str) -> int:
    """What a public reader sees: the action count through a read-only Store."""
    store = Store(url, read_only=True)
    try:
        with store.read() as s:
            return s.execute(text("select count(*) from action")).scalar()
    finally:
        store.dispose()


def _writer(url: str) -> tuple[subprocess.Popen, "queue.Queue[str]"]:
    proc = subprocess.Popen([sys.executable, str(WRITER), url, str(ROWS)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PERR_PUBLIC": "0"})
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in proc.stdout],
                     daemon=True).start()
    return proc, lines


def _wait_for(lines: "queue.Queue[str]", word: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while (line := lines.get(timeout=max(0.1, deadline - time.monotonic()))) != word:
        assert time.monotonic() < deadline, f"the writer never said {word!r} (last: {line!r})"


@pytest.mark.parametrize("empty_url", ["sqlite"], indirect=True)   # SQLite's journal
def test_sqlite_store_is_in_wal_mode(empty_url):
    import sqlite3
    raw = sqlite3.connect(empty_url.removeprefix("sqlite:///"))
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_public_reads_after_a_writer_is_killed_mid_transaction(reader_url, loaded_url):
    before = _count(reader_url)
    proc, lines = _writer(loaded_url)
    try:
        _wait_for(lines, "inserted")   # 20,000 rows written, not committed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # no writable connection has opened the store since: the public instance reads at once
    assert _count(reader_url) == before
    if loaded_url.startswith("sqlite"):  # the killed writer's rows were on disk, uncommitted
        assert Path(loaded_url.removeprefix("sqlite:///") + "-wal").stat().st_size > 1_000_000
    from perr_model.figures import places
    store = Store(reader_url, read_only=True)
    try:
        with store.read() as s:
            assert not places.territories(s).empty
    finally:
        store.dispose()


def test_every_public_read_succeeds_during_a_20k_row_import(reader_url, loaded_url,
                                                            monkeypatch):
    monkeypatch.setenv("PERR_QUERY_TIMEOUT_MS", "1000")  # a reader waits 1 s for a lock at most
    before = _count(reader_url)
    proc, lines = _writer(loaded_url)
    seen, failures, phase = [], [], "writing"
    try:
        deadline = time.monotonic() + 180   # bounded: by time, and one read every 20 ms at most
        while time.monotonic() < deadline:
            try:
                seen.append((phase, _count(reader_url)))
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                failures.append(f"{phase}: {exc}"[:200])
            while not lines.empty():
                word = lines.get()
                if word == "inserted":   # hold the transaction open while readers read
                    phase = "held"
                    held_reads = 0
                elif word == "committed":
                    phase = "done"
            if phase == "held":
                held_reads += 1
                if held_reads == 10:
                    proc.stdin.write("commit\n")
                    proc.stdin.flush()
                    phase = "committing"
            if phase == "done" and seen and seen[-1][0] == "done":
                break
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    assert failures == []
    phases = {p for p, _ in seen}
    assert {"writing", "held", "done"} <= phases, phases
    assert sum(p == "writing" for p, _ in seen) >= 3   # reads while the rows were written
    assert all(n == before for p, n in seen if p in ("writing", "held")), seen
    assert seen[-1] == ("done", before + ROWS)


RUNAWAY = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 30000000) "
           "select count(*) from n")


def test_a_runaway_read_is_stopped_with_a_french_message(reader_url, monkeypatch):
    monkeypatch.setenv("PERR_QUERY_TIMEOUT_MS", "500")
    store = Store(reader_url, read_only=True)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as info:
            with store.read() as s:
                s.execute(text(RUNAWAY)).scalar()
        assert time.monotonic() - started < 5   # the whole count takes 15 s or more
        assert str(info.value).startswith("La base de données n'a pas répondu en 0,5 seconde :")
        with store.read() as s:   # the connection is usable again
            assert s.execute(text("select count(*) from pillar")).scalar() > 0
    finally:
        store.dispose()
