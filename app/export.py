"""Cited answers as documents: one renderer for the UI's conversation export, ``assistant ask --format
markdown``, the API's message content and the PDF, so the sources travel with the answer every way. Checked
claims (``assistant check``) export the same way: each sentence with its label, notes and the reports that
decided it.

An answer's ``[n]`` marks become numbered footnotes (``[^n]``) whose text is the source: title, outlet,
date, link, and the quoted span that supports it. A declined answer keeps the closest passages it showed, and
an answer that notes a differing report says so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.answer import Answer, Citation, Passage
from core.claims import ClaimCheck

_MARK = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Exchange:
    """One question and its answer, with how it was asked (collection, filters) for the record."""

    answer: Answer
    notes: tuple[str, ...] = ()  # "collection `sample`", "only source Reuters", ...


def escape(value: str) -> str:
    """Text as Markdown a viewer may render as HTML: markup in an article stays text."""
    return html.escape(value, quote=False)


def source_line(c: Citation) -> str:
    """'Title, Outlet, Author, 2023-11-09. <https://...>': a citation's source, for a list or a footnote."""
    p = c.passage
    facts = ", ".join(x for x in (p.source, p.author, p.published) if x)
    url = f" <{p.url}>" if _web(p.url) else ""
    return f"**{escape(p.title or 'Untitled')}**" + (f", {escape(facts)}" if facts else "") + f".{url}"


def quote_of(c: Citation) -> str:
    return " ".join((c.quote or c.passage.text).split())


def sources_markdown(citations: Sequence[Citation]) -> str:
    """A numbered source list under an answer that keeps its ``[n]`` marks (the API's chat content)."""
    if not citations:
        return ""
    lines = ["**Sources**", ""]
    for c in citations:
        lines += [f"[{c.n}] {source_line(c)}", f"> {escape(quote_of(c))}", ""]
    return "\n".join(lines).rstrip()


def answer_markdown(answer: Answer, prefix: str = "") -> str:
    """The answer with its ``[n]`` marks as footnote references, then the footnotes (``prefix`` keeps the
    footnotes of several answers in one document apart: ``[^2-1]``)."""
    cited = {c.n for c in answer.citations}

    def mark(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[^{prefix}{n}]" if n in cited else m.group(0)

    body = _MARK.sub(mark, escape(answer.text))
    lines = [body, ""]
    if answer.conflicts:
        differ = ", ".join(f"[^{prefix}{c.n}] of {c.published}" for c in answer.conflicts)
        lines += [f"*Reports differ: {differ}.*", ""]
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        lines += [f"*Not supported by the passages: {escape(' '.join(unsupported))}*", ""]
    for c in answer.citations:
        lines.append(f"[^{prefix}{c.n}]: {source_line(c)} “{escape(quote_of(c))}”")
    return "\n".join(lines).rstrip()


def conversation_markdown(exchanges: Sequence[Exchange], exported: datetime) -> str:
    """A conversation as a Markdown document: each question, its answer with footnoted sources."""
    lines = ["# Article Assistant conversation", "", f"Exported {exported:%Y-%m-%d %H:%M}.", ""]
    for i, x in enumerate(exchanges, 1):
        a = x.answer
        lines += [f"## {i}. {escape(a.question)}", ""]
        notes = [*x.notes, f"answerer {a.backend}"]
        if a.rewritten_question:
            notes.append(f"searched for: {a.rewritten_question}")
        lines += [f"*{escape(' · '.join(notes))}*", "", answer_markdown(a, prefix=f"{i}-"), ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_pdf(exchanges: Sequence[Exchange], exported: datetime) -> bytes:
    """The same conversation as a PDF: questions as headings, answers with ``[n]``, then each numbered source
    with its quoted span."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    family = _unicode_font(pdf)
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 9, "Article Assistant conversation", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(
        0, 6, _pdf_text(f"Exported {exported:%Y-%m-%d %H:%M}.", family), new_x="LMARGIN", new_y="NEXT"
    )
    for i, x in enumerate(exchanges, 1):
        a = x.answer
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, _pdf_text(f"{i}. {a.question}", family), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8)
        notes = [*x.notes, f"answerer {a.backend}"]
        pdf.multi_cell(0, 5, _pdf_text(" · ".join(notes), family), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 11)
        pdf.multi_cell(0, 6, _pdf_text(a.text, family), new_x="LMARGIN", new_y="NEXT")
        if a.conflicts:
            differ = ", ".join(f"[{c.n}] of {c.published}" for c in a.conflicts)
            pdf.set_font(family, "", 9)
            pdf.multi_cell(
                0, 5, _pdf_text(f"Reports differ: {differ}.", family), new_x="LMARGIN", new_y="NEXT"
            )
        for c in a.citations:
            p = c.passage
            facts = ", ".join(x for x in (p.source, p.author, p.published) if x)
            pdf.set_font(family, "B", 9)
            head = f"[{c.n}] {p.title or 'Untitled'}" + (f", {facts}" if facts else "")
            pdf.multi_cell(0, 5, _pdf_text(head, family), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(family, "", 9)
            if _web(p.url):
                pdf.multi_cell(0, 5, _pdf_text(p.url, family), new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(pdf.l_margin + 5)
            pdf.multi_cell(0, 5, _pdf_text(f"“{quote_of(c)}”", family), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


LABEL_NAMES = {
    "supported": "Supported",
    "contradicted": "Contradicted",
    "not_found": "Not found",
    "not_supported": "Not supported",
}
VERDICT_NAMES = {"supports": "supports", "contradicts": "contradicts", "": "near"}


def report_line(p: Passage) -> str:
    """'Title, Outlet, 2023-02-01. <https://...>': the report a checked claim's span is from."""
    facts = ", ".join(x for x in (p.source, p.author, p.published) if x)
    url = f" <{p.url}>" if _web(p.url) else ""
    return f"**{escape(p.title or 'Untitled')}**" + (f", {escape(facts)}" if facts else "") + f".{url}"


def checks_markdown(checks: Sequence[ClaimCheck], exported: datetime, notes: Sequence[str] = ()) -> str:
    """Checked claims as a Markdown document: each sentence with its label and notes, then the reports that
    support or contradict it, latest first, each with its quoted span."""
    lines = [
        "# Article Assistant: claims checked against the archive",
        "",
        f"Exported {exported:%Y-%m-%d %H:%M}.",
    ]
    if notes:
        lines += ["", f"*{escape(' · '.join(notes))}*"]
    lines.append("")
    for i, check in enumerate(checks, 1):
        lines += [
            f"{i}. **{LABEL_NAMES.get(check.label, check.label)}** ({check.score:.2f}): {escape(check.claim)}"
        ]
        lines += [f"   - *{escape(note)}*" for note in check.notes]
        for span in check.spans:
            if 0 <= span.text < len(check.passages):
                quote = escape(" ".join(span.quote.split()))
                lines.append(
                    f"   - {VERDICT_NAMES.get(span.verdict, span.verdict)}: {report_line(check.passages[span.text])} “{quote}”"
                )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def checks_pdf(checks: Sequence[ClaimCheck], exported: datetime, notes: Sequence[str] = ()) -> bytes:
    """The same checked claims as a PDF."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    family = _unicode_font(pdf)
    pdf.add_page()

    def write(text: str, style: str = "", size: int = 10, indent: float = 0) -> None:
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.5 + 1, _pdf_text(text, family), new_x="LMARGIN", new_y="NEXT")

    write("Article Assistant: claims checked against the archive", "B", 15)
    write(" · ".join([f"Exported {exported:%Y-%m-%d %H:%M}", *notes]), size=8)
    for i, check in enumerate(checks, 1):
        pdf.ln(2)
        write(f"{i}. {LABEL_NAMES.get(check.label, check.label)} ({check.score:.2f}): {check.claim}", "B", 11)
        for note in check.notes:
            write(note, size=9, indent=5)
        for span in check.spans:
            if 0 <= span.text < len(check.passages):
                p = check.passages[span.text]
                facts = ", ".join(x for x in (p.title or "Untitled", p.source, p.published) if x)
                write(f"{VERDICT_NAMES.get(span.verdict, span.verdict)}: {facts}", "B", 9, indent=5)
                write(f"“{' '.join(span.quote.split())}”", size=9, indent=10)
    return bytes(pdf.output())


def _unicode_font(pdf: object) -> str:
    """DejaVu Sans (shipped with matplotlib, a dependency) for any script; Helvetica if it is missing."""
    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdf.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))  # type: ignore[attr-defined]
        pdf.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))  # type: ignore[attr-defined]
        return "DejaVu"
    except (ImportError, OSError, RuntimeError):
        return "Helvetica"


def _pdf_text(text: str, family: str) -> str:
    text = " ".join(text.split())
    return text if family == "DejaVu" else text.encode("latin-1", "replace").decode("latin-1")


def _web(url: str) -> bool:
    return bool(re.match(r"https?://[^\s<>]+$", url or ""))
