"""What the Check and Timeline tabs do: check a pasted paragraph against the collection, build a story's
timeline or what changed since a date, show the reports behind a clicked sentence or event, export a checked
paragraph. Rendering is in ``app/ui_analysis.py``; failures become readable messages as in ``app/handlers.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import gradio as gr

from app.export import checks_markdown, checks_pdf
from app.handlers import download, parse_day, parse_scope, readable_errors
from app.ui_analysis import (
    check_panel,
    checks_html,
    event_panel,
    parse_check_target,
    parse_event_target,
    reports_chart,
    timeline_html,
)
from app.workspace import Workspace
from assistant.archive_check import BATCH, claims_of
from core.claims import ClaimCheck
from core.timeline import Brief, Timeline

_PROGRESS = gr.Progress()


class AnalysisHandlers:
    """The Check and Timeline tabs' events."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # --- Check --------------------------------------------------------------------------------------------

    def check(
        self,
        text: str,
        collection: str,
        sources: Sequence[str] | None,
        since: str,
        until: str,
        as_of: str,
        progress: gr.Progress = _PROGRESS,
    ) -> tuple[Any, ...]:
        """Check each sentence of the pasted text against the collection; the list of marked sentences, the
        first one's reports, and the checks kept for clicks and exports."""
        with readable_errors("Checking"):
            scope = parse_scope(collection, sources, since, until)
            search = replace(scope.filter, as_of=parse_day("As of", as_of))
            claims = claims_of(text or "")
            checker = self.workspace.assistant(scope.collection).checker
            checks: list[ClaimCheck] = []
            for start in range(0, len(claims), BATCH):
                progress((start, len(claims)), desc="Checking the sentences", unit="sentences")
                checks += checker.check(claims[start : start + BATCH], search)
            return checks_html(checks), check_panel(checks), checks, gr.File(value=None, visible=False)

    def select_check(self, target: str, checks: list[ClaimCheck]) -> tuple[str, str]:
        """The clicked sentence marked in the list, and its reports in the panel."""
        index = parse_check_target(target) or 0
        return checks_html(checks, index), check_panel(checks, index)

    def export_checks(self, checks: list[ClaimCheck]) -> Any:
        """The checked sentences and their reports as a Markdown file to download."""
        return self._export_checks(checks, "md")

    def export_checks_pdf(self, checks: list[ClaimCheck]) -> Any:
        """The checked sentences and their reports as a PDF to download."""
        return self._export_checks(checks, "pdf")

    def _export_checks(self, checks: list[ClaimCheck], kind: str) -> Any:
        if not checks:
            raise gr.Error("Nothing to export yet: check a paragraph first.")
        return download(
            "checked", kind, lambda now: checks_markdown(checks, now), lambda now: checks_pdf(checks, now)
        )

    # --- Timeline -----------------------------------------------------------------------------------------

    def date_range(self, collection: str) -> str:
        """The collection's first and last publication dates: what "as of" should be set within."""
        with readable_errors(f"Reading collection {collection!r}"):
            found = self.workspace.assistant(collection).retriever.index.day_range()
        if found is None:
            return "No dated articles in this collection."
        first, last = (f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in found)
        return (
            f"Articles from **{first}** to **{last}**. Set *As of* within that range to read the archive as of a "
            "day (empty: today)."
        )

    def timeline(
        self, topic: str, collection: str, sources: Sequence[str] | None, since: str, until: str, as_of: str
    ) -> tuple[Any, ...]:
        """The story's events, their chart, the first event's reports, and the result kept for clicks."""
        with readable_errors("Building the timeline"):
            scope = parse_scope(collection, sources, since, until)
            search = replace(scope.filter, as_of=parse_day("As of", as_of))
            result = self.workspace.assistant(scope.collection).timeline(topic or "", search)
            return timeline_html(result), reports_chart(result), event_panel(result), result

    def brief(
        self, topic: str, new_since: str, collection: str, sources: Sequence[str] | None, as_of: str
    ) -> tuple[Any, ...]:
        """What is new since the date, with what it changed; the same outputs as ``timeline``."""
        with readable_errors("Briefing"):
            scope = parse_scope(collection, sources, "", "")
            search = replace(scope.filter, as_of=parse_day("As of", as_of))
            if not (new_since or "").strip():
                raise gr.Error("Say since when: YYYY-MM-DD, or words such as 'last week'.")
            result = self.workspace.assistant(scope.collection).brief(topic or "", new_since, search)
            return timeline_html(result), reports_chart(result), event_panel(result), result

    def select_event(self, target: str, result: Timeline | Brief | None) -> tuple[str, str]:
        index = parse_event_target(target) or 0
        if result is None:
            return "", event_panel(None)
        return timeline_html(result, index), event_panel(result, index)
