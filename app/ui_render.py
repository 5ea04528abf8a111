"""What the chat UI shows, as strings: chat bubbles, the evidence panel, search results, the Markdown export.

Pure functions of the chain's ``Answer``; ``app/ui.py`` wires them to Gradio. Article text, titles and
metadata are untrusted (an article may hold ``<script>``): every one is escaped here, before any HTML is built.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.export import Exchange
from core.answer import Answer, Citation, Conflict, Passage
from core.filters import SearchFilter

CITE_PREFIX = "aa-cite-"  # a citation link's target: #aa-cite-<turn>-<n>
NOTHING_SELECTED = "Nothing in the selected articles answers this question. Widen the filters"
EMPTY_PANEL = (
    "<div class='aa-empty'>Ask a question: the passage behind each [n] of the answer appears here, "
    "its supporting span highlighted. Click a citation to switch.</div>"
)
_CITE = re.compile(r"\[(\d+)\]")
_CITE_TARGET = re.compile(rf"#?{CITE_PREFIX}(\d+)-(\d+)")
_MD_INLINE = re.compile(r"([\\`*_\[\]#~|$])")  # Markdown punctuation that acts anywhere in a line
_MD_LINE_START = re.compile(r"^(\s*\d*)([-+=.)])", re.M)  # list items and headings at a line's start


# Citation links live inside the chat's Markdown, where no Gradio event reaches: one document-level listener
# hands the clicked link's target to this hidden component, whose change event renders the evidence panel.
CITE_BRIDGE_JS = """
if (window.aaCiteListener) document.removeEventListener('click', window.aaCiteListener, true);
window.aaCiteListener = (event) => {
  const link = event.target instanceof Element ? event.target.closest('a.aa-cite') : null;
  if (!link) return;
  event.preventDefault();
  props.value = link.getAttribute('href').slice(1) + '@' + Date.now();
  trigger('change');
  document.getElementById('aa-panel')?.scrollIntoView({block: 'nearest', behavior: 'smooth'});
};
document.addEventListener('click', window.aaCiteListener, true);
"""
CSS = """
.aa-status p {margin: 0; color: var(--body-text-color-subdued);}
.aa-cite {font-weight: 600; color: var(--color-accent) !important; text-decoration: none !important;
  padding: 0 1px; border-radius: 3px;}
.aa-cite:hover {background: var(--color-accent-soft);}
#aa-chat .placeholder {padding: 0 24px; text-align: center; color: var(--body-text-color-subdued);}
.aa-note {color: var(--body-text-color-subdued); font-size: 0.85em;}
#aa-panel {border-left: 3px solid var(--color-accent); padding: 2px 0 2px 14px;}
#aa-panel .aa-question {color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 8px;}
#aa-panel .aa-title {font-weight: 700; font-size: 1.05em; line-height: 1.3;}
#aa-panel .aa-facts {display: grid; grid-template-columns: max-content 1fr; gap: 0 10px; margin: 6px 0;
  font-size: 0.88em;}
#aa-panel .aa-facts dt {color: var(--body-text-color-subdued); margin: 0;}
#aa-panel .aa-facts dd {margin: 0; overflow-wrap: anywhere;}
#aa-panel .aa-passage {margin: 8px 0 14px; padding: 8px 10px; background: var(--background-fill-secondary);
  border-left: none; border-radius: 6px; font-style: normal; line-height: 1.55;}
#aa-panel mark {background: #ffe680; color: #1f1f1f; padding: 1px 0; border-radius: 2px;}
#aa-panel .aa-heading {font-weight: 600; font-size: 0.9em; margin-top: 6px;}
#aa-panel .aa-sources {margin: 4px 0 0 0; padding-left: 0; list-style: none; font-size: 0.9em;}
#aa-panel .aa-sources li {padding: 3px 6px; border-radius: 4px;}
#aa-panel .aa-sources li.aa-on {background: var(--color-accent-soft);}
#aa-panel .aa-sources .aa-meta {display: block; color: var(--body-text-color-subdued); font-size: 0.9em;}
.aa-empty {color: var(--body-text-color-subdued); padding: 8px 0;}
.aa-nothing {color: var(--body-text-color); background: var(--background-fill-secondary); padding: 10px;
  border-radius: 6px;}
.aa-warn {color: #a15c00;}
:is(#aa-articles, #aa-results) :is(.virtual-row, .virtual-row *) {font-family: var(--font) !important;}
.aa-hit {border-left: 3px solid var(--color-accent); padding: 4px 10px; margin: 10px 0;}
.aa-hit .aa-title {font-weight: 600;}
.aa-hit .aa-meta {color: var(--body-text-color-subdued); font-size: 0.85em;}
"""


@dataclass(frozen=True)
class Scope:
    """What retrieval may use for one question: a collection, and the filter the analyst set (sources and a
    date range)."""

    collection: str
    filter: SearchFilter = field(default_factory=SearchFilter)

    @property
    def narrowed(self) -> bool:
        return not self.filter.empty

    def describe(self) -> str:
        """The filters in words: "source Reuters, AP · since 2024-01-01"."""
        f = self.filter
        parts = [f"source {', '.join(f.sources)}"] if f.sources else []
        parts += [
            f"{word} {day.isoformat()}" for word, day in (("since", f.since), ("until", f.until)) if day
        ]
        return " · ".join(parts)


@dataclass(frozen=True)
class Turn:
    """One question of a conversation: the answer and the scope it was asked in."""

    answer: Answer
    scope: Scope

    @property
    def found_nothing(self) -> bool:
        """Filters were set and no passage under them was relevant."""
        return self.scope.narrowed and not self.answer.passages


# --- Chat bubbles (Markdown with a little inline HTML; the Chatbot sanitizes it again) --------------------


def md_text(text: str) -> str:
    """Untrusted text for a Markdown bubble: HTML escaped, Markdown punctuation backslash-escaped."""
    escaped = _MD_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    return _MD_LINE_START.sub(r"\1\\\2", escaped)


def cite_link(turn: int, n: int, label: str = "") -> str:
    return (
        f"<a href='#{CITE_PREFIX}{turn}-{n}' class='aa-cite' title='Show source {n}'>{label or f'[{n}]'}</a>"
    )


def parse_cite_target(value: str) -> tuple[int, int] | None:
    """(turn, n) from a citation link's target as the page reports it, e.g. ``aa-cite-0-2@1712345``."""
    match = _CITE_TARGET.search(value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def linked_text(text: str, turn: int, cited: Sequence[int]) -> str:
    """``text`` for a bubble, with each ``[n]`` that names a citation turned into a link to it."""
    parts = _CITE.split(text)  # text, number, text, number, ..., text
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(md_text(part))
        elif int(part) in cited:
            out.append(cite_link(turn, int(part)))
        else:
            out.append(md_text(f"[{part}]"))
    return "".join(out)


def answer_markdown(turn: Turn, index: int) -> str:
    """The bubble of a finished answer: linked citations, then discreet notes (rewrite, filters, warnings)."""
    answer = turn.answer
    if turn.found_nothing:
        return f"{md_text(NOTHING_SELECTED)} ({md_text(turn.scope.describe())})."
    body = linked_text(answer.text, index, [c.n for c in answer.citations])
    notes = []
    if answer.rewritten_question:
        notes.append(f"searched for: {md_text(answer.rewritten_question)}")
    if turn.scope.narrowed:
        notes.append(f"only {md_text(turn.scope.describe())}")
    unsupported = sum(not s.supported for s in answer.sentences)
    if unsupported:
        notes.append(f"⚠ {unsupported} sentence{'s' * (unsupported > 1)} not supported by the passages")
    if answer.conflicts:
        notes.append(f"⇄ reports differ: {md_text(conflict_note(answer.conflicts))}")
    if notes:
        body += "\n\n<span class='aa-note'>" + " · ".join(notes) + "</span>"
    return body


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The Chatbot's messages for a conversation."""
    messages = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": md_text(turn.answer.question)})
        messages.append({"role": "assistant", "content": answer_markdown(turn, i)})
    return messages


# --- The evidence panel (HTML) ----------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _meta(p: Passage, *, author: bool = True) -> str:
    return " · ".join(_esc(x) for x in (p.source, p.author if author else "", p.published) if x)


def _web(url: str) -> bool:
    """Only http(s) links are followed: never a ``javascript:`` or ``data:`` one."""
    return url.lower().startswith(("http://", "https://"))


def _link(url: str, label: str = "open article ↗") -> str:
    if not _web(url):
        return ""
    return f"<a class='aa-url' href='{_esc(url)}' target='_blank' rel='noopener noreferrer'>{label}</a>"


def highlighted(c: Citation) -> str:
    """The cited passage, the supporting span in ``<mark>``."""
    return marked(c.passage, c.start, c.end)


def marked(p: Passage, start: int, end: int) -> str:
    """The passage's text escaped, article offsets ``start``..``end`` in ``<mark>`` (made passage-relative)."""
    size = len(p.text)
    lo = min(max(start - p.start, 0), size)
    hi = min(max(end - p.start, lo), size)
    return f"{_esc(p.text[:lo])}<mark>{_esc(p.text[lo:hi])}</mark>{_esc(p.text[hi:])}"


def _detail(c: Citation) -> str:
    p = c.passage
    facts = [
        (k, _esc(v)) for k, v in (("Source", p.source), ("Author", p.author), ("Published", p.published)) if v
    ]
    link = _link(p.url, _esc(p.url))
    if link:
        facts.append(("Link", link))
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        f"<div class='aa-detail' id='aa-selected'><div class='aa-title'>[{c.n}] {_esc(p.title)}</div>"
        f"<dl class='aa-facts'>{rows}</dl><blockquote class='aa-passage'>{highlighted(c)}</blockquote></div>"
    )


def _source_list(citations: Sequence[Citation], turn: int, selected: int) -> str:
    items = "".join(
        f"<li class='{'aa-on' if c.n == selected else ''}'>"
        f"{cite_link(turn, c.n, f'[{c.n}] {_esc(c.passage.title)}')}"
        f"<span class='aa-meta'>{_meta(c.passage, author=False)}</span></li>"
        for c in citations
    )
    return f"<div class='aa-heading'>Sources of this answer</div><ol class='aa-sources'>{items}</ol>"


def evidence_panel(turns: Sequence[Turn], index: int | None = None, n: int | None = None) -> str:
    """Citation ``n`` of answer ``index`` (default: the last answer's first citation), and all its sources."""
    if not turns:
        return EMPTY_PANEL
    index = len(turns) - 1 if index is None or not 0 <= index < len(turns) else index
    turn = turns[index]
    answer = turn.answer
    heading = f"<div class='aa-question'>Answer {index + 1}: {_esc(answer.question)}</div>"
    if turn.found_nothing:
        return heading + (
            f"<div class='aa-empty aa-nothing'><b>Nothing in the selected articles.</b> No passage is "
            f"relevant under the filters ({_esc(turn.scope.describe())}): widen them (more sources, a "
            f"longer date range) and ask again.</div>"
        )
    if not answer.citations:
        return heading + "<div class='aa-empty'>No passage in the articles answers this question.</div>"
    chosen = next((c for c in answer.citations if c.n == n), answer.citations[0])
    flagged = [f"Not supported by the passages: {s.text}" for s in answer.sentences if not s.supported]
    warnings = "".join(f"<p class='aa-warn'>⚠ {_esc(w)}</p>" for w in flagged + answer.warnings)
    differ = "".join(
        f"<p class='aa-warn aa-conflict'>⇄ Reports differ: [{c.n}] of {_esc(c.published)} says “{_esc(c.quote)}”</p>"
        for c in answer.conflicts
    )
    return heading + _detail(chosen) + _source_list(answer.citations, index, chosen.n) + differ + warnings


def conflict_note(conflicts: Sequence[Conflict]) -> str:
    """'[1] of 2022-11-03' for each report that gives another figure than the answer."""
    return ", ".join(f"[{c.n}] of {c.published}" for c in conflicts)


def sources_panel(question: str, passages: Sequence[Passage]) -> str:
    """The passages an answer is being written from, shown before its first word."""
    heading = f"<div class='aa-question'>Sources for: {_esc(question)}</div>"
    return heading + passages_html(passages)


# --- Search results and the export ---------------------------------------------------------------------


def passages_html(passages: Sequence[Passage]) -> str:
    """Retrieved passages, best first (the "Search passages" tab)."""
    if not passages:
        return "<div class='aa-empty'>No passage matches. Try other words, or widen the filters.</div>"
    return "".join(
        f"<div class='aa-hit'><div class='aa-title'>{i}. {_esc(p.title)}</div>"
        f"<div class='aa-meta'>{_meta(p)} · similarity {p.score:.2f} {_link(p.url)}</div>"
        f"<div class='aa-passage'>{_esc(p.text)}</div></div>"
        for i, p in enumerate(passages, 1)
    )


def exchanges(turns: Sequence[Turn]) -> list[Exchange]:
    """The conversation as the exports take it: each answer with the collection and filters it was asked
    under (an answer found nothing under its filters says so)."""
    out = []
    for turn in turns:
        a = turn.answer
        notes = [f"collection `{turn.scope.collection}`"]
        if turn.scope.narrowed:
            notes.append(f"only {turn.scope.describe()}")
        if turn.found_nothing:
            a = replace(a, text=f"{NOTHING_SELECTED}.", citations=[], sentences=[])
        out.append(Exchange(a, tuple(notes)))
    return out
