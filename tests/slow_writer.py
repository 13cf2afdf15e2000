"""A writer in its own process, for tests/test_public_resilience.py: `python slow_writer.py URL
N` inserts N actions in one transaction through the product's write path (Store.write), in
chunks, printing "chunk" after each; then prints "inserted" and waits for a line on stdin:
"commit" commits (then prints "committed"), anything else or end of input rolls back. Killed
while it waits, it leaves its transaction unfinished."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from perr_model.schema import Action, Territory  # noqa: E402
from perr_model.store import Store  # noqa: E402

CHUNK = 2000


def main(url: str, n: int) -> None:
    store = Store(url, read_only=False, refresh=False)
    with store.write() as s:
        territory = s.scalar(select(func.min(Territory.id)))
        for start in range(0, n, CHUNK):
            s.execute(insert(Action), [
                {"reference": f"ecrivain-lent-{i}", "territory_id": territory,
                 "title": f"Action importée {i}", "description": "x" * 200,
                 "year_start": 2022, "year_end": 2022}
                for i in range(start, min(n, start + CHUNK))])
            print("chunk", flush=True)
        print("inserted", flush=True)
        if sys.stdin.readline().strip() != "commit":
            raise SystemExit("rolled back")
    print("committed", flush=True)
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
