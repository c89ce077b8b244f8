"""The subscriber pages in a real browser: headless Chromium (Debian's package), JavaScript off.

Clicks the unsubscribe button and changes preferences the way a reader would, by label and role.
Screenshots go to test-artifacts/ (gitignored). Skips with a reason when Chromium is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import optional
from test_web import Server, client, db, link, server, sub  # noqa: F401  (fixtures)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=optional(f"{CHROMIUM} is missing", "rendering the subscriber pages in a browser",
                                       "install Debian's chromium package; .ci/run does")),
]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        # JavaScript off: the pages must work as plain HTML forms.
        context = browser.new_context(java_script_enabled=False, viewport={"width": 420, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_unsubscribe_button_in_a_browser(db, server, page):
    from playwright.sync_api import expect
    page.goto(server.url(link("unsubscribe", "ada@example.org")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from The Digest?")
    page.screenshot(path=str(ARTIFACTS / "unsubscribe-confirm.png"), full_page=True)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.get_by_role("status")).to_contain_text("ada@example.org will get no more digests")
    page.screenshot(path=str(ARTIFACTS / "unsubscribe-done.png"), full_page=True)
    assert sub(db, "ada@example.org")["status"] == "unsubscribed"
    assert sub(db, "bob@example.org")["status"] == "active"


def test_change_preferences_in_a_browser(db, server, page):
    from playwright.sync_api import expect
    page.goto(server.url(link("preferences", "ada@example.org")))
    expect(page.get_by_label("Europe")).to_be_checked()
    page.get_by_label("Europe").uncheck()
    page.get_by_label("Politics").check()
    page.get_by_label("Weekly").check()
    page.get_by_label("Time of day").fill("07:45")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.screenshot(path=str(ARTIFACTS / "preferences-filled.png"), full_page=True)
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_label("Politics")).to_be_checked()
    expect(page.get_by_label("Europe")).not_to_be_checked()
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    page.screenshot(path=str(ARTIFACTS / "preferences-saved.png"), full_page=True)
    s = sub(db, "ada@example.org")
    assert (s["topics"], s["frequency"], s["send_at"], s["timezone"]) == (
        ["Politics", "World"], "weekly", "07:45", "America/New_York")


def test_a_mistake_is_explained_and_nothing_saved(db, server, page):
    from playwright.sync_api import expect
    page.goto(server.url(link("preferences", "ada@example.org")))
    page.get_by_label("Europe").uncheck()
    page.get_by_label("World").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one topic")
    page.screenshot(path=str(ARTIFACTS / "preferences-error.png"), full_page=True)
    assert sub(db, "ada@example.org")["topics"] == ["Europe", "World"]
