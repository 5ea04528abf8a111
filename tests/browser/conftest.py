"""A real UI server on loopback (extractive answers over the sample corpus) and Debian's chromium for it.

Playwright drives the system chromium (``make test`` installs it with apt); its own browser download is never
used. Screenshots go to ``$ASSISTANT_TEST_ARTIFACTS`` (default ``test-artifacts/browser``); with
``ASSISTANT_UPDATE_SCREENSHOTS=1`` the README's screenshot in ``docs/`` is refreshed too.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_ARTICLES

CHROMIUM = Path(os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 900}

# An article whose title, metadata and text try to run script: the page must show all of it as text.
XSS_ARTICLE = """\
Title: Harbour board notice <script>window.__xss=1</script><img src=x onerror="window.__xss=1">
Source: Quayside <b>Gazette</b>
Author: Mira <img src=x onerror="window.__xss=2">Tolland
Published: 2024-05-02
URL: javascript:window.__xss=3

The Pellmoor harbour board voted to rename the north quay as the Saltreach Pier <script>window.__xss=4</script> \
at its meeting on Tuesday. The renaming ceremony will be held on 9 June. <img src=x onerror="window.__xss=5"> \
Board chair Oskar Venn said the new name honours the fishing fleet that has sailed from the quay since 1870.
"""


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("ASSISTANT_TEST_ARTIFACTS") or REPO / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The chat UI over a fresh copy of the sample corpus plus the XSS article (uploads land here too)."""
    from app.ui import build_ui, serve
    from app.workspace import Workspace
    from core.settings import Settings
    from ingest.collection import open_index
    from ingest.load import load_articles

    data = tmp_path_factory.mktemp("ui-data")
    xss = data / "harbour-notice.txt"
    xss.write_text(XSS_ARTICLE, encoding="utf-8")
    settings = Settings(data_dir=data, collection="sample", llm="extractive")
    index = open_index(settings)
    report = index.ingest(load_articles([SAMPLE_ARTICLES, xss]))
    assert not report.errors, report.errors
    demo = build_ui(Workspace(settings, {"sample": index}))
    yield serve(demo, "127.0.0.1", _free_port(), block=False)
    demo.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. `make test` installs it "
            "(apt-get install -y chromium); or set ASSISTANT_CHROMIUM to a chromium binary."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_url: str) -> Iterator[object]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(ui_url)
    page.get_by_placeholder("Ask a question about the articles…").wait_for()
    yield page
    context.close()
