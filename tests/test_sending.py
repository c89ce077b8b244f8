"""The one sending use case (pipeline.send) and its one Tally.merge: what `digest send`, the
scheduler and the demo all run. A run that stops after doing what it could comes back as a
report with its error inside, never as an exception carrying the report."""

from __future__ import annotations

import datetime as dt

from digest import config, pipeline
from digest.compose.lint import LintReport
from digest.db import Database
from digest.errors import RelayError
from smtp_server import Sink


def test_tallies_merge_one_way():
    a = pipeline.Tally(sent=3, failed=1, reasons={"550 no": 1}, failures=[("a@x.org", "550 no")], slowest_rate=4.0,
                       by_mix={"Europe": {"articles": 5, "recipients": 4, "sent": 3}},
                       lint={"Europe": LintReport(size_bytes=100)})
    b = pipeline.Tally(sent=2, skipped=7, reasons={"550 no": 2}, failures=[("b@x.org", "550 no")] * 6,
                       slowest_rate=2.0, by_mix={"Europe": {"articles": 6, "recipients": 2, "sent": 2}},
                       lint={"Europe": LintReport(size_bytes=300)}, error=RelayError("stop"))
    a.merge(b)
    assert (a.sent, a.skipped, a.failed, a.reasons) == (5, 7, 1, {"550 no": 3})
    assert a.by_mix == {"Europe": {"articles": 6, "recipients": 6, "sent": 5}}
    assert a.lint["Europe"].size_bytes == 300 and a.slowest_rate == 2.0
    assert len(a.failures) == pipeline.tally.FAILURE_SAMPLE and isinstance(a.error, RelayError)


def test_a_refused_sender_comes_back_in_the_report_with_its_tally(seeded, tmp_path, monkeypatch):
    with Sink(tmp_path / "received", fail_mail=[(r".", "553 5.7.1 Sender address rejected: not owned by you")]) as sink:
        monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
        cfg = config.load()
        db = Database.open(cfg.db)
        report = pipeline.send(db, cfg, pipeline.relays_for(cfg), frequency="daily")
        [(plan, tally)] = report.sent
        assert isinstance(report.error, RelayError) and tally.error is report.error
        assert "refused the sender" in report.error.message and not hasattr(report.error, "tally")
        assert tally.sent == 0 and tally.pending == plan.created > 0 and tally.deferred == 0 and sink.messages == []
        assert {d.status for d in db.deliveries.listed(plan.edition_id)} == {"pending"}
        db.close()


def test_leftovers_of_earlier_editions_go_first_then_today_is_planned_after_them(seeded, smtp_env):
    cfg = config.load()
    db = Database.open(cfg.db)
    yesterday = pipeline.now() - dt.timedelta(days=1)
    old = pipeline.plan_edition(db, cfg, at=yesterday)       # planned, then the sender died before sending
    assert old.created > 0
    report = pipeline.send(db, cfg, pipeline.relays_for(cfg), frequency="daily")
    assert report.resumed == [old.key] and report.leftovers[0][1].sent == old.created
    [(today, tally)] = report.sent
    assert today.key != old.key and report.tally.sent == report.edition_tally.sent + old.created
    assert len(smtp_env.messages) == report.tally.sent
    db.close()
