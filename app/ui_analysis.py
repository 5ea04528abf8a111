"""What the Check and Timeline tabs show, as strings: checked sentences and their reports, a story's events
and the reports behind each, and the chart of reports per day by outlet. Article text and metadata are
untrusted: every one is escaped here, as in ``app/ui_render.py``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from app.ui_render import _esc, _link, _meta, marked
from core.answer import Citation, Passage
from core.claims import ClaimCheck, ClaimSpan
from core.timeline import Brief, Timeline, TimelineEvent


def bridge_js(link_class: str, panel_id: str, listener: str) -> str:
    """A document-level click listener that hands a clicked ``a.<link_class>``'s target to the hidden
    component it is loaded in (whose change event renders ``#<panel_id>``): links inside HTML components are
    out of Gradio's events' reach."""
    return f"""
if (window.{listener}) document.removeEventListener('click', window.{listener}, true);
window.{listener} = (event) => {{
  const link = event.target instanceof Element ? event.target.closest('a.{link_class}') : null;
  if (!link) return;
  event.preventDefault();
  props.value = link.getAttribute('href').slice(1) + '@' + Date.now();
  trigger('change');
  document.getElementById('{panel_id}')?.scrollIntoView({{block: 'nearest', behavior: 'smooth'}});
}};
document.addEventListener('click', window.{listener}, true);
"""


CHECK_BRIDGE_JS = bridge_js("aa-check", "aa-check-panel", "aaCheckListener")
EVENT_BRIDGE_JS = bridge_js("aa-event", "aa-event-panel", "aaEventListener")


# --- Checked claims (the "Check" tab) ----------------------------------------------------------------------


CHECK_PREFIX = "aa-check-"  # a checked sentence's link target: #aa-check-<i>
CHECK_LABELS = {
    "supported": ("✓", "Supported"),
    "contradicted": ("✗", "Contradicted"),
    "not_found": ("?", "Not found"),
    "not_supported": ("?", "Not supported"),
}
EMPTY_CHECK_PANEL = (
    "<div class='aa-empty'>Paste a paragraph and press <b>Check</b>: each sentence is marked supported, "
    "contradicted or not found in the articles. Click a sentence to see the reports that decided it.</div>"
)


def checks_html(checks: Sequence[ClaimCheck], selected: int = 0) -> str:
    """Each checked sentence with its mark, as a link that shows its reports in the panel."""
    if not checks:
        return ""
    counts = {
        label: sum(c.label == label for c in checks) for label in ("supported", "contradicted", "not_found")
    }
    summary = " · ".join(f"{n} {CHECK_LABELS[label][1].lower()}" for label, n in counts.items() if n)
    items = "".join(
        f"<li class='aa-claim aa-{c.label}{' aa-on' if i == selected else ''}'>"
        f"<a class='aa-check' href='#{CHECK_PREFIX}{i}'><span class='aa-badge'>{CHECK_LABELS.get(c.label, ('', c.label))[0]} "
        f"{CHECK_LABELS.get(c.label, ('', c.label))[1]}</span> {_esc(c.claim)}</a></li>"
        for i, c in enumerate(checks)
    )
    return f"<div class='aa-note'>{len(checks)} sentences: {summary}</div><ol class='aa-claims'>{items}</ol>"


def parse_check_target(value: str) -> int | None:
    """``aa-check-3@1712345678`` (what the bridge sends) -> 3."""
    match = re.search(rf"{CHECK_PREFIX}(\d+)", value or "")
    return int(match.group(1)) if match else None


def check_panel(checks: Sequence[ClaimCheck], index: int = 0) -> str:
    """Sentence ``index``'s verdict, notes, and each report that decided it, latest first, its span marked."""
    if not checks:
        return EMPTY_CHECK_PANEL
    index = index if 0 <= index < len(checks) else 0
    c = checks[index]
    mark, name = CHECK_LABELS.get(c.label, ("", c.label))
    head = (
        f"<div class='aa-question'>Sentence {index + 1}: {_esc(c.claim)}</div>"
        f"<div class='aa-verdict aa-{c.label}'>{mark} {name} <span class='aa-meta'>({c.score:.2f}, "
        f"{'claim checker' if c.checker == 'model' else 'word overlap'})</span></div>"
    )
    notes = "".join(f"<p class='aa-warn aa-conflict'>{_esc(n)}</p>" for n in c.notes)
    reports = "".join(_span_detail(c, s) for s in c.spans if 0 <= s.text < len(c.passages))
    return head + notes + (reports or "<div class='aa-empty'>No report in the articles is about this.</div>")


def _span_detail(check: ClaimCheck, span: ClaimSpan) -> str:
    p: Passage = check.passages[span.text]
    text = marked(p, span.start, span.end)
    verdict = {"supports": "supports it", "contradicts": "says otherwise", "": "nearest passage"}[
        span.verdict
    ]
    return (
        f"<div class='aa-detail aa-report aa-{span.verdict or 'near'}'><div class='aa-title'>{_esc(p.title)}</div>"
        f"<div class='aa-meta'>{_meta(p)} · {verdict} {_link(p.url)}</div>"
        f"<blockquote class='aa-passage'>{text}</blockquote></div>"
    )


# --- Timelines and briefs (the "Timeline" tab) -------------------------------------------------------------

EVENT_PREFIX = "aa-event-"  # an event's link target: #aa-event-<i>
EMPTY_EVENT_PANEL = (
    "<div class='aa-empty'>Name a story and press <b>Timeline</b> (how it moved) or <b>What changed</b> (what is "
    "new since a date). Click an event to see the reports that gave it.</div>"
)


def timeline_html(result: Timeline | Brief, selected: int = 0) -> str:
    """The events (by story, for a timeline), each a link to its reports, then the values that changed."""
    events = _events(result)
    if isinstance(result, Brief):
        head = f"<div class='aa-note'>New on “{_esc(result.topic)}” since {_esc(result.since)} (as of {_esc(result.as_of)})</div>"
        changes = result.changed
    else:
        calls = f" · {result.model_calls} model calls" if result.model_calls else ""
        head = (
            f"<div class='aa-note'>{_count(len(events), 'event')} from {_count(len(result.passages), 'report')}"
            f"{calls}</div>"
        )
        changes = result.changes
    body = ""
    stories = result.stories if isinstance(result, Timeline) else ("",)
    for n, story in enumerate(stories):
        items = "".join(
            _event_item(i, e, selected) for i, e in enumerate(events) if e.story == n or len(stories) == 1
        )
        title = f"<div class='aa-heading'>Story {n + 1}: {_esc(story)}</div>" if len(stories) > 1 else ""
        body += f"{title}<ol class='aa-events'>{items}</ol>"
    moved = "".join(f"<p class='aa-warn aa-conflict'>⇄ {_esc(c.text)}</p>" for c in changes)
    notes = "".join(f"<div class='aa-empty'>{_esc(n)}</div>" for n in result.notes)
    return head + body + moved + notes


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _events(result: Timeline | Brief) -> Sequence[TimelineEvent]:
    return result.events if isinstance(result, Timeline) else result.new


def _event_item(i: int, e: TimelineEvent, selected: int) -> str:
    outlets = " · ".join(_esc(s) for s in e.sources)
    marks = "".join(f"[{c.n}]" for c in e.citations)
    return (
        f"<li class='aa-event-item{' aa-on' if i == selected else ''}'><a class='aa-event' href='#{EVENT_PREFIX}{i}'>"
        f"<span class='aa-date'>{_esc(e.date)}</span> {_esc(e.sentence)} <span class='aa-marks'>{marks}</span></a>"
        f"<span class='aa-meta'>{outlets}</span></li>"
    )


def parse_event_target(value: str) -> int | None:
    match = re.search(rf"{EVENT_PREFIX}(\d+)", value or "")
    return int(match.group(1)) if match else None


def event_panel(result: Timeline | Brief | None, index: int = 0) -> str:
    """Event ``index``'s date and sentence, then every report that gave it, its sentence highlighted."""
    events = _events(result) if result is not None else ()
    if not events:
        return EMPTY_EVENT_PANEL
    e = events[index if 0 <= index < len(events) else 0]
    dated = "the date its report gives" if e.dated_by == "text" else "its first report's date"
    head = (
        f"<div class='aa-question'>{_esc(e.date)} ({dated})</div>"
        f"<div class='aa-title'>{_esc(e.sentence)}</div>"
        f"<div class='aa-meta'>{_count(len(e.citations), 'report')}: {' · '.join(_esc(s) for s in e.sources)}</div>"
    )
    return head + "".join(_report(c) for c in e.citations)


def _report(c: Citation) -> str:
    p: Passage = c.passage
    text = marked(p, c.start, c.end)
    return (
        f"<div class='aa-detail aa-report'><div class='aa-title'>[{c.n}] {_esc(p.title)}</div>"
        f"<div class='aa-meta'>{_meta(p)} {_link(p.url)}</div><blockquote class='aa-passage'>{text}</blockquote></div>"
    )


def reports_chart(result: Timeline | Brief | None) -> Any:
    """Reports per day by outlet (the six most frequent, the rest as "other"), as a matplotlib figure; None
    when there is nothing to draw."""
    events = _events(result) if result is not None else ()
    reports = {
        (c.passage.article_id, c.passage.published[:10], c.passage.source or "unknown")
        for e in events
        for c in e.citations
    }
    if not reports:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    top = [s for s, _ in Counter(s for _, _, s in reports).most_common(6)]
    days = sorted({d for _, d, _ in reports})
    counts = Counter((d, s if s in top else "other") for _, d, s in reports)
    outlets = top + (["other"] if any(s not in top for _, _, s in reports) else [])
    fig, ax = plt.subplots(figsize=(7, 2.4), dpi=100)
    bottom = [0] * len(days)
    for outlet in outlets:
        heights = [counts[(d, outlet)] for d in days]
        ax.bar(range(len(days)), heights, bottom=bottom, label=outlet)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    step = max(1, len(days) // 8)
    ax.set_xticks(
        range(0, len(days), step), [days[i] for i in range(0, len(days), step)], rotation=30, fontsize=7
    )
    ax.set_ylabel("reports", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, ncol=min(4, len(outlets)), frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


ANALYSIS_CSS = """
.aa-claims {list-style: none; padding-left: 0; margin: 6px 0;}
.aa-claims li {padding: 5px 8px; margin: 3px 0; border-radius: 6px; border-left: 4px solid #999;}
.aa-claims li.aa-on {background: var(--color-accent-soft);}
.aa-claims a.aa-check {color: var(--body-text-color) !important; text-decoration: none !important;}
.aa-badge {font-weight: 700; font-size: 0.85em; margin-right: 6px;}
:is(.aa-claims li, .aa-verdict).aa-supported {border-color: #1a7f37;} .aa-supported .aa-badge, .aa-verdict.aa-supported {color: #1a7f37;}
:is(.aa-claims li, .aa-verdict).aa-contradicted {border-color: #cf222e;} .aa-contradicted .aa-badge, .aa-verdict.aa-contradicted {color: #cf222e;}
:is(.aa-claims li, .aa-verdict).aa-not_found {border-color: #8c959f;} .aa-not_found .aa-badge, .aa-verdict.aa-not_found {color: #57606a;}
#aa-check-panel {border-left: 3px solid var(--color-accent); padding: 2px 0 2px 14px;}
#aa-check-panel .aa-question {color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 6px;}
#aa-check-panel .aa-verdict {font-weight: 700; font-size: 1.1em; margin-bottom: 6px;}
#aa-check-panel .aa-title {font-weight: 700; margin-top: 10px;}
#aa-check-panel .aa-meta {color: var(--body-text-color-subdued); font-size: 0.85em;}
#aa-check-panel .aa-passage {margin: 6px 0 10px; padding: 8px 10px; background: var(--background-fill-secondary);
  border-left: none; border-radius: 6px; font-style: normal; line-height: 1.55;}
#aa-check-panel .aa-supports mark {background: #b7ebc6; color: #1f1f1f;}
#aa-check-panel .aa-contradicts mark {background: #ffc9c9; color: #1f1f1f;}
#aa-check-panel .aa-near mark {background: #ffe680; color: #1f1f1f;}
.aa-events {list-style: none; padding-left: 0; margin: 6px 0;}
.aa-events li {padding: 5px 8px; margin: 3px 0; border-radius: 6px; border-left: 4px solid var(--color-accent);}
.aa-events li.aa-on {background: var(--color-accent-soft);}
.aa-events a.aa-event {color: var(--body-text-color) !important; text-decoration: none !important;}
.aa-events .aa-date {font-weight: 700; margin-right: 6px; font-variant-numeric: tabular-nums;}
.aa-events .aa-marks {color: var(--color-accent); font-weight: 600;}
.aa-events .aa-meta {display: block; color: var(--body-text-color-subdued); font-size: 0.85em;}
#aa-event-panel {border-left: 3px solid var(--color-accent); padding: 2px 0 2px 14px;}
#aa-event-panel .aa-question, #aa-event-panel .aa-meta {color: var(--body-text-color-subdued); font-size: 0.85em;}
#aa-event-panel .aa-title {font-weight: 700; margin-top: 8px;}
#aa-event-panel .aa-passage {margin: 6px 0 10px; padding: 8px 10px; background: var(--background-fill-secondary);
  border-left: none; border-radius: 6px; font-style: normal; line-height: 1.55;}
#aa-event-panel mark {background: #ffe680; color: #1f1f1f;}
"""
