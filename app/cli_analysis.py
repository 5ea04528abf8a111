"""The ``assistant`` commands that ask the archive something other than a question: ``check`` (claims against
the articles), ``timeline`` (how a story moved) and ``brief`` (what changed since a date)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from app.cli_options import (
    filter_options,
    llm_options,
    make_filter,
    make_settings,
    output_options,
    store_options,
)


@click.command()
@filter_options
@click.argument("claim", required=False)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check each sentence of this text file (UTF-8) instead of CLAIM; '-' as CLAIM reads standard input.",
)
@store_options
@output_options(
    "Print the checks as JSON.",
    "markdown: each sentence with its label, notes and the reports that decided it.",
)
def check(claim: str | None, path: Path | None, as_json: bool, fmt: str, **flags: Any) -> None:
    """Check CLAIM (a sentence or a paragraph, each sentence checked) against the indexed articles:
    supported, contradicted or not found, with the reports that say so, latest first.

        assistant check "The Bank of Kestria raised its rate to 7.25 percent in June 2023."
        assistant check --file draft.txt --as-of 2023-07-01 --json
    """
    from datetime import datetime

    from assistant.archive_check import BATCH, claims_of
    from assistant.factory import build_assistant

    text = _claim_text(claim, path)
    search_filter = make_filter(flags)
    claims = claims_of(text)
    assistant = build_assistant(make_settings(**flags))
    checks = []
    for start in range(0, len(claims), BATCH):
        checks += assistant.checker.check(claims[start : start + BATCH], search_filter)
        if len(claims) > BATCH:
            click.echo(f"checked {len(checks)} of {len(claims)} sentences", err=True)
    if as_json or fmt == "json":
        click.echo(json.dumps([c.to_dict() for c in checks], ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        from app.export import checks_markdown

        click.echo(checks_markdown(checks, datetime.now()), nl=False)
    else:
        click.echo("\n\n".join(render_check(c) for c in checks))


def _claim_text(claim: str | None, path: Path | None) -> str:
    """The text to check: CLAIM, standard input ('-') or the file's, refused when it is not UTF-8 text."""
    if (claim is None) == (path is None):
        raise click.UsageError("Give a CLAIM to check or --file FILE (one of them).")
    if path is None:
        assert claim is not None
        return sys.stdin.read() if claim == "-" else claim
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"{path} is not UTF-8 text (it looks binary): give a .txt or .md file, or save it as UTF-8 text."
        ) from None


def render_check(check: Any) -> str:
    """A checked claim as plain text: its label and score, notes, then each report that decided it."""
    from app.export import LABEL_NAMES, VERDICT_NAMES

    lines = [f"{LABEL_NAMES.get(check.label, check.label)} ({check.score:.2f}): {check.claim}"]
    lines += [f"  {note}" for note in check.notes]
    for span in check.spans:
        if 0 <= span.text < len(check.passages):
            p = check.passages[span.text]
            meta = ", ".join(x for x in (p.source, p.published) if x)
            lines.append(
                f"  {VERDICT_NAMES.get(span.verdict, span.verdict)}: {p.title}"
                + (f" ({meta})" if meta else "")
            )
            lines.append(f'      "{" ".join(span.quote.split())}"')
    return "\n".join(lines)


@click.command()
@filter_options
@click.argument("topic")
@store_options
@llm_options
@click.option("--max-events", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the Timeline as JSON.")
def timeline(topic: str, max_events: int, as_json: bool, **flags: Any) -> None:
    """How TOPIC developed: its events in date order, one cited sentence each (every outlet that reported
    it), and the values that changed between them.

        assistant timeline "Federal Reserve interest rate increases" --since 2022-12-01 --as-of 2023-03-31
    """
    from assistant.factory import build_assistant

    search_filter = make_filter(flags)
    assistant = build_assistant(make_settings(**flags))
    result = assistant.timeline(topic, search_filter, max_events=max_events)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(render_timeline(result))


@click.command()
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Brief as of this date (default today)."
)
@click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable).")
@click.argument("topic")
@click.option(
    "--since",
    "new_since",
    required=True,
    help="What is new since: YYYY-MM-DD, or words read from --as-of ('last week', 'this month', 'in January').",
)
@store_options
@llm_options
@click.option("--json", "as_json", is_flag=True, help="Print the Brief as JSON.")
def brief(topic: str, new_since: str, as_json: bool, **flags: Any) -> None:
    """What is new on TOPIC since a date, in at most five cited sentences, latest first, and what it changed
    from before (cited too).

        assistant brief "Federal Reserve interest rate increases" --since "last week" --as-of 2023-02-03
    """
    from assistant.factory import build_assistant

    search_filter = make_filter(flags)
    assistant = build_assistant(make_settings(**flags))
    result = assistant.brief(topic, new_since, search_filter)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(render_brief(result))


def render_timeline(t: Any) -> str:
    """A timeline as plain text: events by story, then the changes, then the numbered reports."""
    lines = [f"{t.topic}: {len(t.events)} events from {len(t.passages)} reports"]
    if t.model_calls:
        lines[0] += f" ({t.model_calls} model calls)"
    for n, story in enumerate(t.stories):
        events = [e for e in t.events if e.story == n]
        if len(t.stories) > 1:
            lines += ["", f"Story {n + 1}: {story}"]
        lines += [_event_line(e) for e in events]
    if t.changes:
        lines += ["", "Changes:"] + [f"  {c.text}" for c in t.changes]
    lines += list(t.notes)
    return "\n".join([*lines, "", _report_lines(t.passages)]).rstrip()


def render_brief(b: Any) -> str:
    lines = [f"{b.topic}: new since {b.since} (as of {b.as_of})"]
    lines += [_event_line(e) for e in b.new]
    if b.changed:
        lines += ["", "What it changed:"] + [f"  {c.text}" for c in b.changed]
    lines += list(b.notes)
    return "\n".join([*lines, "", _report_lines(b.passages)]).rstrip()


def _event_line(e: Any) -> str:
    marks = "".join(f"[{c.n}]" for c in e.citations)
    return f"{e.date}  {e.sentence} {marks} ({', '.join(e.sources)})"


def _report_lines(passages: Sequence[Any]) -> str:
    return "\n".join(
        f"[{n}] {p.title} ({', '.join(x for x in (p.source, p.published) if x)})"
        for n, p in enumerate(passages, 1)
    )
