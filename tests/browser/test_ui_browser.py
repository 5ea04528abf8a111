"""The analyst's UI in a real browser: ask, read the streamed answer, check a citation, upload, stay safe."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO

pytestmark = pytest.mark.browser

ASK = "Ask a question about the articles…"


def ask(page, question: str) -> None:
    """Ask in the chat and wait until the answer is final: the evidence panel then shows it."""
    number = page.locator("#aa-chat .message.bot").count() + 1
    page.get_by_placeholder(ASK).fill(question)
    page.get_by_placeholder(ASK).press("Enter")
    page.locator("#aa-panel .aa-question", has_text=f"Answer {number}:").wait_for()


def wait_text(page, selector: str, text: str) -> None:
    """Wait until the element shows ``text`` (as rendered, e.g. in a table's cells)."""
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.innerText.includes(text)", arg=[selector, text]
    )


def last_answer(page):
    return page.locator("#aa-chat .message.bot").last


def shoot(page, artifacts: Path, name: str, *, readme: str = "") -> None:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path))
    if readme and os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / readme)


def record_drafts(page) -> None:
    """Keep every in-progress state of the chat that the page shows, to check that answers stream."""
    page.evaluate(
        """() => { window.drafts = [];
                   new MutationObserver(() => {
                     const bot = [...document.querySelectorAll('#aa-chat .message.bot')].pop();
                     if (bot) window.drafts.push(bot.innerText);
                   }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )


def test_answer_streams_cites_passages_and_a_click_shows_the_highlighted_span(page, artifacts):
    record_drafts(page)
    ask(page, "Which deputy governor voted against the Bank of Kestria's rate increase?")
    drafts = page.evaluate("window.drafts")
    assert any("Searching the articles" in d for d in drafts), drafts
    assert any("▍" in d for d in drafts), (
        drafts
    )  # the answer's text arrived before its citations were checked
    answer = last_answer(page)
    assert "Anselm Krieger" in answer.inner_text()
    links = answer.locator("a.aa-cite")
    assert links.count() >= 2, answer.inner_html()
    panel = page.locator("#aa-panel")
    panel.locator("mark").wait_for()  # the first citation is open as soon as the answer is final
    opened = panel.locator(".aa-sources li.aa-on").inner_text().split("]")[0] + "]"
    other = next(links.nth(i) for i in range(links.count()) if links.nth(i).inner_text() != opened)
    n = other.inner_text()
    other.click()
    page.locator("#aa-panel .aa-sources li.aa-on", has_text=n).wait_for()
    detail = panel.locator(".aa-detail")
    assert detail.locator(".aa-title").inner_text().startswith(n)
    assert detail.locator("mark").inner_text().strip() in detail.locator(".aa-passage").inner_text()
    assert {"Source", "Author", "Published", "Link"} <= set(detail.locator("dt").all_inner_texts())
    assert panel.locator(".aa-sources li").count() == len(set(links.all_inner_texts()))
    shoot(page, artifacts, "answer-with-citation", readme="ui-citation.png")


def test_an_example_then_a_follow_up_with_its_rewrite_then_filters_that_leave_nothing(page, artifacts):
    page.locator("#aa-chat").get_by_text("Which organisation manages the Tamsin Plain camp?").click()
    page.locator("#aa-panel .aa-question", has_text="Answer 1:").wait_for()  # examples answer at once
    assert "International Relief Coordination Office" in last_answer(page).inner_text()
    ask(page, "And how many people live there?")
    assert (
        "searched for: Which organisation manages the Tamsin Plain camp? And how"
        in last_answer(page).inner_text()
    )
    page.get_by_role("textbox", name="Since").fill("2031-01-01")
    ask(page, "Which organisation manages the Tamsin Plain camp?")
    assert "Nothing in the selected articles" in last_answer(page).inner_text()
    page.locator("#aa-panel .aa-nothing").wait_for()
    shoot(page, artifacts, "nothing-in-selected-articles")
    page.get_by_role("button", name="Export as Markdown").click()
    with page.expect_download() as download:
        page.locator("#aa-export a[download$='.md']").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## 1. Which organisation manages the Tamsin Plain camp?" in exported
    assert "[^1-1]: **Overcrowding and Water Shortages Strain Tamsin Plain Refugee Camp**" in exported
    assert "## 3. " in exported and "only since 2031-01-01" in exported
    page.get_by_role("button", name="Export as PDF").click()
    with page.expect_download() as download:
        page.locator("#aa-export a[download$='.pdf']").click()
    pdf = PdfReader(download.value.path())
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Which organisation manages the Tamsin Plain camp?" in text and "Tamsin Plain Refugee Camp" in text
    page.get_by_role("textbox", name="Since").fill("not a date")
    page.get_by_placeholder(ASK).fill("Who mediated the truce talks?")
    page.get_by_placeholder(ASK).press("Enter")
    page.get_by_text("is not a date: write YYYY-MM-DD").first.wait_for()
    page.get_by_role("button", name="New chat").click()
    page.locator("#aa-panel", has_text="Ask a question").wait_for()
    assert page.locator("#aa-chat .message.bot").count() == 0


def test_an_uploaded_file_is_added_and_then_cited(page, artifacts, tmp_path):
    fact = tmp_path / "observatory-meteors.txt"
    fact.write_text(
        "Title: Quorvath Observatory Counts Record Meteor Shower\nSource: Skyline Courier\n"
        "Published: 2024-08-14\n\nAstronomers at the Quorvath Observatory counted 1,482 meteors in a single "
        "night during the Lirian shower, the highest tally in the observatory's 60-year record.\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken-feed.json"
    broken.write_text('{"title": "Half a record", "text": ', encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#aa-upload input[type=file]").set_input_files([str(fact), str(broken)])
    page.locator("#aa-upload").get_by_text("broken-feed").wait_for()
    page.locator("#aa-add").click()
    results = page.locator("#aa-results")
    wait_text(page, "#aa-results", "observatory-meteors.txt")
    text = results.inner_text()
    assert "added" in text and "error" in text and "JSON" in text
    wait_text(page, "#aa-articles", "Quorvath Observatory Counts Record Meteor Shower")
    page.wait_for_function("() => !document.querySelector('.pending')")  # outputs no longer dimmed
    shoot(page, artifacts, "upload-results")
    page.get_by_role("tab", name="Ask").click()
    ask(page, "How many meteors did the Quorvath Observatory count?")
    assert "1,482" in last_answer(page).inner_text()
    assert "Quorvath Observatory" in page.locator("#aa-panel .aa-title").inner_text()


def test_an_article_holding_script_renders_as_text(page, artifacts):
    ask(page, "What did the Pellmoor harbour board rename the north quay?")
    assert "Saltreach Pier" in last_answer(page).inner_text()
    panel = page.locator("#aa-panel")
    assert "<script>window.__xss=1</script>" in panel.locator(".aa-title").inner_text()
    assert "Quayside <b>Gazette</b>" in panel.inner_text()
    assert "<script>window.__xss=4</script>" in last_answer(page).inner_text() + panel.inner_text()
    assert panel.locator("a[href^='javascript']").count() == 0
    shoot(page, artifacts, "xss-article-as-text")
    page.get_by_role("tab", name="Articles").click()
    wait_text(page, "#aa-articles", "<script>window.__xss=1</script>")
    page.get_by_role("tab", name="Search passages").click()
    page.get_by_placeholder("Words to look for (retrieval only, no answer)").fill("Pellmoor Saltreach Pier")
    page.get_by_placeholder("Words to look for (retrieval only, no answer)").press("Enter")
    wait_text(page, "#aa-hits", "<script>window.__xss=4</script>")
    page.get_by_role("tab", name="Ask").click()
    page.get_by_label("Sources (all when empty)").click()  # the source filter lists "Quayside <b>Gazette</b>"
    page.get_by_role("option", name="Quayside <b>Gazette</b>").wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0


def test_a_pasted_paragraph_is_checked_sentence_by_sentence_and_a_click_shows_its_reports(page, artifacts):
    page.get_by_role("tab", name="Check").click()
    page.locator("#aa-check-text textarea").fill(
        "The Bank of Kestria raised its main refinancing rate to 7.25 percent. "
        "The Bank of Kestria raised its main refinancing rate to 8.25 percent. "
        "The city of Oslo opened a new opera house on its waterfront in 2008."
    )
    page.locator("#aa-check").click()
    claims = page.locator("#aa-checked .aa-claims li")
    claims.nth(2).wait_for()
    assert [claims.nth(i).locator(".aa-badge").inner_text() for i in range(3)] == [
        "✓ Supported",
        "✗ Contradicted",
        "? Not found",
    ]
    panel = page.locator("#aa-check-panel")
    assert "Supported" in panel.locator(".aa-verdict").inner_text()  # the first sentence opens at once
    claims.nth(1).locator("a.aa-check").click()
    page.locator("#aa-check-panel .aa-verdict", has_text="Contradicted").wait_for()
    report = panel.locator(".aa-report").first
    assert "7.25 percent" in report.locator("mark").inner_text()
    assert "Kestrian Financial Observer" in report.locator(".aa-meta").inner_text()
    assert "which gave 7.25 percent" in panel.locator(".aa-conflict").inner_text()
    assert "aa-on" in (claims.nth(1).get_attribute("class") or "")
    shoot(page, artifacts, "check-paragraph", readme="ui-check.png")
    page.locator("#aa-check-md").click()
    with page.expect_download() as download:
        page.locator("#aa-check-export a[download$='.md']").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "2. **Contradicted**" in exported and "Kestrian Financial Observer" in exported
    page.locator("#aa-check-pdf").click()
    with page.expect_download() as download:
        page.locator("#aa-check-export a[download$='.pdf']").click()
    pdf = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Contradicted" in pdf and "7.25 percent" in pdf


def test_a_story_timeline_shows_dated_events_a_chart_and_each_events_reports(page, artifacts):
    page.get_by_role("tab", name="Timeline").click()
    wait_text(page, "#aa-date-range", "Articles from")  # the collection's date range, to set "as of" within
    page.locator("#aa-topic textarea, #aa-topic input").first.fill("Bank of Kestria interest rate")
    page.locator("#aa-timeline").click()
    events = page.locator("#aa-events .aa-event-item")
    events.first.wait_for()
    dates = [events.nth(i).locator(".aa-date").inner_text() for i in range(events.count())]
    assert dates == sorted(dates) and "2023-06-22" in dates
    page.locator(
        "#aa-chart img, #aa-chart canvas, #aa-chart svg"
    ).first.wait_for()  # reports per day by outlet
    at = dates.index("2023-06-22")
    events.nth(at).locator("a.aa-event").click()
    panel = page.locator("#aa-event-panel")
    page.locator("#aa-event-panel .aa-question", has_text="2023-06-22").wait_for()
    assert "7.25 percent" in panel.locator("mark").first.inner_text()
    assert "Kestrian Financial Observer" in panel.inner_text()
    shoot(page, artifacts, "timeline", readme="ui-timeline.png")
    page.get_by_label("As of").last.fill("2023-06-25")
    page.get_by_label("What changed since").fill("last week")
    page.locator("#aa-brief").click()
    wait_text(page, "#aa-events", "New on")
    assert "7.25 percent" in page.locator("#aa-events").inner_text()
