"""One-off generator for the sample PDF article (no PDF library required).

Writes a minimal, valid single-page PDF by hand: one Helvetica Type1 font,
text placed line by line with BT/ET, Tf, Td and Tj operators, an /Info
dictionary with /Title, /Author and /CreationDate, and a correct xref table.

Run from anywhere:  python assistant/sample_corpus/_make_pdf.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path

OUT = Path(__file__).parent / "articles" / "tanker-insurance-dispute.pdf"

TITLE = "Insurers Reject Claim Over Tanker Detained in Strait of Maldrin"
AUTHOR = "Oskar Thessaly"
SOURCE = "Maritime Risk Bulletin"
URL = "https://example-news.test/maritime-risk-bulletin/2024/06/12/northern-aster-claim"
CREATION_DATE = "D:20240612000000Z"

PARAGRAPHS = [
    "A dispute between a tanker owner and its insurers over a vessel detained in the "
    "Strait of Maldrin is heading to arbitration, after underwriters refused to pay for "
    "the loss of the ship and its cargo.",
    "The tanker Northern Aster, owned by Bellwether Shipping, was boarded by coastguard "
    "officers of the Republic of Qarvan on 3 April while carrying 92,000 tonnes of diesel "
    "from Sel Harbour to ports further north. Qarvani authorities accused the crew of "
    "breaching a new fishing-zone boundary, a charge the owner denies. The ship and its "
    "23 crew members have been held at anchor off the port of Zahrabad ever since.",
    "Bellwether has lodged a claim for 47 million dollars under its hull and war-risks "
    "policy, arguing that the detention amounts to a constructive total loss after more "
    "than sixty days. The underwriting syndicate, led by Stanmore Marine Mutual, rejected "
    "the claim in a letter dated 28 May. It argues that the seizure was a lawful act of a "
    "state enforcing its own regulations, which the policy excludes, rather than a "
    "political or hostile act (the kind of event the war-risks cover is meant to pay for).",
    '"The policy wording is clear, and we will defend our position," a spokesperson for '
    "Stanmore said. Bellwether's chief executive, Imogen Talbot-Reyes, called the decision "
    '"a betrayal of the very purpose of war-risk insurance."',
    "The case has been referred to a three-member arbitration tribunal in Port Ellery, "
    "with hearings expected in the autumn. Brokers say the outcome is being watched "
    "closely across the market because several other tankers have been stopped in the "
    "strait this year.",
    "War-risk premiums for voyages through the Strait of Maldrin have risen from 0.05 "
    "percent to 0.4 percent of hull value since January.",
]

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN_X = 56
TOP_Y = 780


def pdf_string(text: str) -> str:
    """Escape a string for use as a PDF literal string (ASCII only)."""
    text.encode("ascii")  # fail loudly on non-ASCII characters
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def content_stream() -> bytes:
    ops: list[str] = ["BT", f"{MARGIN_X} {TOP_Y} Td"]
    # Title (first text line of the document).
    ops += ["/F1 15 Tf", f"{pdf_string(TITLE)} Tj"]
    # Byline and source.
    ops += ["/F1 9 Tf", "0 -22 Td", f"{pdf_string(f'By {AUTHOR} | {SOURCE} | 12 June 2024')} Tj"]
    ops += ["0 -12 Td", f"{pdf_string(URL)} Tj"]
    # Body paragraphs.
    ops += ["/F1 10 Tf"]
    first = True
    for para in PARAGRAPHS:
        lines = textwrap.wrap(para, width=96, break_on_hyphens=False)
        for i, line in enumerate(lines):
            step = -26 if (first or i == 0) else -14
            first = False
            ops += [f"0 {step} Td", f"{pdf_string(line)} Tj"]
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")


def build() -> bytes:
    stream = content_stream()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode("ascii"),
        b"<< /Length " + str(len(stream)).encode("ascii") + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        (
            f"<< /Title {pdf_string(TITLE)} /Author {pdf_string(AUTHOR)} "
            f"/Subject {pdf_string(SOURCE)} /Producer (Article Assistant sample corpus generator) "
            f"/CreationDate ({CREATION_DATE}) >>"
        ).encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref_pos = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref_pos}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
