"""The background refresher (figures.stored.refresh_later) survives whatever a refresh raises:
the failure is logged, the database is no longer marked as being refreshed, and the next
refresh asked for runs and stores the figures (issue 23, item 2)."""
import logging

from perr_model.figures import stored
from perr_model.store import Store
from store_support import scalar as _scalar, wait_refreshed as _wait


def test_refresher_survives_an_exception_and_runs_the_next_refresh(loaded_url, monkeypatch,
                                                                    caplog):
    real, calls = stored.refresh, []

    def refresh_failing_once(engine, *args, **kwargs):  # noqa: ANN001
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("panne plantée par le test")
        return real(engine, *args, **kwargs)

    monkeypatch.setattr(stored, "refresh", refresh_failing_once)
    caplog.set_level(logging.ERROR, logger=stored.__name__)
    writer = Store(loaded_url, read_only=False).background_writer
    stored.refresh_later(loaded_url, writer)
    _wait(loaded_url)                       # the failure cleared the flag
    assert calls == [1]
    assert _scalar(loaded_url, "select count(*) from figure_summary") == 0
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failures) == 1 and r"panne plantée" in str(failures[0].exc_info[1])

    stored.refresh_later(loaded_url, writer)  # the next write's request is not dropped
    _wait(loaded_url)
    assert calls == [1, 1]
    version = _scalar(loaded_url, "select n from data_version where id = 1")
    assert _scalar(loaded_url,
                   f"select count(*) from figure_summary where version = {version}") > 0
