"""Loaders: every format from real files written to tmp_path, bad files reported, and the shared corpora."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.article import Article, LoadError, Skipped, article_id
from ingest.fields import FieldMap, FieldSpecError
from ingest.load import SUPPORTED_SUFFIXES, load_articles, load_file
from ingest.meta import parse_authors, parse_date, source_from_url
from tests.conftest import shared_data as shared

BODY = (
    "The port authority said on Monday that container traffic fell 8 percent in March.\n\n"
    "Officials blamed the strike at the northern terminal, which lasted eleven days."
)


DEFAULT_FIELDS = FieldMap()


def load(*paths: str | Path, fields: FieldMap = DEFAULT_FIELDS) -> list[Article | LoadError | Skipped]:
    return list(load_articles(list(paths), fields))


def articles(results: list[Article | LoadError | Skipped]) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def errors(results: list[Article | LoadError | Skipped]) -> list[LoadError]:
    return [r for r in results if isinstance(r, LoadError)]


def only_article(results: list[Article | LoadError | Skipped]) -> Article:
    assert len(results) == 1 and isinstance(results[0], Article), results
    return results[0]


def write_pdf(path: Path, lines: list[str], info: dict[str, str] | None = None) -> None:
    """A minimal one-page PDF (Helvetica text, optional /Info) with a correct xref table."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    if info:
        objects.append("<< " + " ".join(f"/{key} ({esc(value)})" for key, value in info.items()) + " >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    info_ref = f" /Info {len(objects)} 0 R" if info else ""
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(out))


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbor Bridge Reopens After Repairs | The Daily Ledger</title>
<meta property="og:site_name" content="The Daily Ledger">
<meta property="og:title" content="Harbor Bridge Reopens After Repairs">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2023-03-14T09:30:00Z">
<link rel="canonical" href="https://www.dailyledger.example/news/harbor-bridge-reopens">
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<article>
<h1>Harbor Bridge Reopens After Repairs</h1>
<p class="byline">By Jane Doe</p>
<p>The Harbor Bridge reopened to traffic on Tuesday after eight months of structural repairs, city officials
said, ending long detours for thousands of commuters who cross the river every day.</p>
<p>Engineers replaced 42 steel cables and resurfaced the deck. The project cost 18 million dollars, about two
million less than the original estimate, according to the transport department.</p>
<p>"We are proud to give the bridge back to the people of this city," the mayor said at a ribbon-cutting
ceremony attended by several hundred residents.</p>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Tweet</a> <a href="#">Email this</a></div>
</article>
<aside><h3>Related stories</h3><ul><li><a href="/x">Ferry fares to rise</a></li></ul></aside>
<footer><p>Copyright © 2023 The Daily Ledger. All rights reserved.</p></footer>
</body></html>
"""


# ---- formats ----------------------------------------------------------------------------------------------


def test_txt_with_header(tmp_path: Path) -> None:
    path = tmp_path / "port.txt"
    path.write_text(
        "Title: Port Traffic Falls After Strike\nSource: Harbor Ledger\nURL: https://harbor.test/port-traffic\n"
        "Author: Marisol Quenby\nPublished: 2023-03-14\nSection: Business\n\n" + BODY + "\n",
        encoding="utf-8",
    )
    article = only_article(load(path))
    assert article.title == "Port Traffic Falls After Strike"
    assert (article.source, article.url, article.author) == (
        "Harbor Ledger",
        "https://harbor.test/port-traffic",
        "Marisol Quenby",
    )
    assert article.published == "2023-03-14"
    assert article.text == BODY
    assert article.path == str(path)
    assert article.extra == {"Section": "Business"}
    assert article.id == article_id("https://harbor.test/port-traffic", BODY)


def test_txt_header_keys_are_case_insensitive_and_date_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "TITLE: Port Traffic Falls\nurl: https://www.harbor.test/p\ndate: Jan 27, 2017\n\n" + BODY
    )
    article = only_article(load(path))
    assert (article.title, article.published, article.source) == (
        "Port Traffic Falls",
        "2017-01-27",
        "harbor.test",
    )


def test_txt_with_windows_line_ends_and_utf16(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(
        ("Title: Windows Story\r\nAuthor: Ann Lee\r\n\r\n" + BODY.replace("\n", "\r\n")).encode()
    )
    article = only_article(load(crlf))
    assert (article.title, article.author, article.text) == ("Windows Story", "Ann Lee", BODY)
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(("Title: Wide Story\n\n" + BODY).encode("utf-16"))
    assert only_article(load(utf16)).title == "Wide Story"


def test_txt_without_header_uses_first_line_as_title(tmp_path: Path) -> None:
    path = tmp_path / "wildfire-near-ridge.txt"
    path.write_text(
        "Wildfire Forces Evacuations\n\n" + BODY + "\n\nPrint Friendly, PDF & Email\n", encoding="utf-8"
    )
    article = only_article(load(path))
    assert article.title == "Wildfire Forces Evacuations"
    assert article.text == BODY
    assert (article.source, article.url, article.author, article.published) == ("", "", "", "")
    assert article.id == article_id("", BODY, str(path))


def test_txt_whose_first_line_is_long_gets_title_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "port_traffic-report.txt"
    long_first = "Container traffic fell sharply " * 10
    path.write_text(long_first + "\n" + BODY)
    article = only_article(load(path))
    assert article.title == "port traffic report"
    assert article.text.startswith(long_first.strip())


def test_txt_in_cp1252_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(
        "Caf\u00e9 Owners Protest\n\nThe \u201cna\u00efve\u201d plan was dropped.".encode("cp1252")
    )
    article = only_article(load(path))
    assert article.title == "Caf\u00e9 Owners Protest"
    assert article.text == "The \u201cna\u00efve\u201d plan was dropped."


def test_txt_with_utf8_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfTitle: Bom Story\n\n" + BODY.encode())
    assert only_article(load(path)).title == "Bom Story"


def test_markdown_front_matter_and_markup(tmp_path: Path) -> None:
    path = tmp_path / "rates.md"
    path.write_text(
        '---\ntitle: "Bank Lifts Rates"\nsource: Financial Observer\nurl: https://fo.test/rates\n'
        "author: [Tobias Wrenfield, Ana Lee]\npublished: 2023-06-22\n---\n\n"
        "# Bank Lifts Rates\n\n"
        "The **central bank** raised rates by *50 basis points*, said [the governor](https://fo.test/gov).\n\n"
        "![chart](chart.png)\n\n## Reaction\n\nMarkets fell.\n",
        encoding="utf-8",
    )
    article = only_article(load(path))
    assert article.title == "Bank Lifts Rates"
    assert (article.source, article.url) == ("Financial Observer", "https://fo.test/rates")
    assert article.author == "Tobias Wrenfield, Ana Lee"
    assert article.published == "2023-06-22"
    assert article.text == (
        "The central bank raised rates by 50 basis points, said the governor.\n\nReaction\n\nMarkets fell."
    )


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "notes.markdown"
    path.write_text("Some intro line.\n\n# The Real _Title_\n\n" + BODY)
    article = only_article(load(path))
    assert article.title == "The Real Title"
    assert "Some intro line." in article.text and "#" not in article.text


def test_html_page_text_without_boilerplate_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    article = only_article(load(path))
    assert article.title == "Harbor Bridge Reopens After Repairs"
    assert article.source == "The Daily Ledger"
    assert article.url == "https://www.dailyledger.example/news/harbor-bridge-reopens"
    assert article.author == "Jane Doe"
    assert article.published == "2023-03-14"
    assert article.text.startswith("The Harbor Bridge reopened to traffic on Tuesday")
    assert "ribbon-cutting ceremony" in article.text
    for leftover in (
        "cookies",
        "Share on Facebook",
        "Tweet",
        "Email this",
        "Home",
        "Sport",
        "Copyright",
        "Related",
        "Ferry fares",
    ):
        assert leftover not in article.text, leftover
    assert article.id == article_id(article.url, article.text)


def test_html_with_little_markup_falls_back_to_baseline_text(tmp_path: Path) -> None:
    path = tmp_path / "tiny.htm"
    path.write_text("<html><body><div>Short note: the meeting moved to Friday.</div></body></html>")
    article = only_article(load(path))
    assert "meeting moved to Friday" in article.text
    assert article.title == "tiny"


def test_json_single_object(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    record = {
        "title": "One",
        "text": BODY,
        "url": "https://n.test/1",
        "authors": ["A B", "C D"],
        "published": "2024-10-03T08:00:00+02:00",
        "source": "News Test",
    }
    path.write_text(json.dumps(record))
    article = only_article(load(path))
    assert (article.title, article.author, article.published, article.source) == (
        "One",
        "A B, C D",
        "2024-10-03",
        "News Test",
    )


def test_json_list_of_objects_and_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    good = {"headline": "Good", "body": BODY, "link": "https://n.test/good"}
    path.write_text(json.dumps([good, "not an object", {"headline": "No text here"}, dict(good, link="")]))
    results = load(path)
    assert [type(r).__name__ for r in results] == ["Article", "LoadError", "LoadError", "Article"]
    assert results[1] == LoadError(str(path), "[1]: is a JSON str, not an object")
    assert isinstance(results[2], LoadError) and results[2].reason.startswith(
        "[2]: no text field: looked for text"
    )
    assert "--fields text=YOURFIELD" in results[2].reason and "headline" in results[2].reason


def test_jsonl_nested_search_results_load_without_configuration(tmp_path: Path) -> None:
    path = tmp_path / "week_gcs.jsonl"
    rows = [
        {
            "question_id": "q0",
            "search_time": "2023/01/07/05:11",
            "search_result": [
                {
                    "url": "https://www.usatoday.com/story/a",
                    "title": "Hamlin update",
                    "text": BODY,
                    "authors": [],
                    "publish_date": "2023/01/05",
                },
                {
                    "url": "https://www.cnn.com/b",
                    "title": "Shooting suspect",
                    "text": "Police said more. " + BODY,
                    "authors": ["Amir Vera Dakin Andone", "Amir Vera", "Dakin Andone"],
                    "publish_date": "2022/11/13",
                },
            ],
        },
        {"question_id": "q1", "search_time": "2023/01/07/05:11", "search_result": []},
        {"question_id": "q2", "search_result": [{"url": "https://n.test/no-text", "title": "No text"}]},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    results = load(path)
    first, second = articles(results)
    assert (first.url, first.title, first.published, first.source, first.author) == (
        "https://www.usatoday.com/story/a",
        "Hamlin update",
        "2023-01-05",
        "usatoday.com",
        "",
    )
    assert (second.source, second.author, second.published) == (
        "cnn.com",
        "Amir Vera, Dakin Andone",
        "2022-11-13",
    )
    assert first.extra == {"record": "line 1, search_result[0]"}
    assert Skipped(f"{path}:2", "no articles: 'search_result' is an empty list") in results
    (error,) = errors(results)
    assert error.path == f"{path}:3" and error.reason.startswith("search_result[0]: no text field")


def test_fieldmap_override_for_a_custom_field_name(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    path.write_text(
        json.dumps({"headline_str": "Custom", "body_text": BODY, "when": "27 January 2017"}) + "\n"
    )
    (error,) = load(path)
    assert isinstance(error, LoadError) and error.path == f"{path}:1"
    assert error.reason.startswith("no text field: looked for text, content, body, article, maintext")
    assert "pass --fields text=YOURFIELD" in error.reason
    article = only_article(load(path, fields=FieldMap(text=("body_text",), title=("headline_str",))))
    assert (article.title, article.text) == ("Custom", BODY)
    spec = FieldMap.from_spec("text=body_text, title=headline_str, published=when")
    assert only_article(load(path, fields=spec)).published == "2017-01-27"


def test_fieldmap_from_spec() -> None:
    fields = FieldMap.from_spec("text=content|body,records=items")
    assert fields.text == ("content", "body")
    assert fields.records_key == "items"
    assert fields.title == FieldMap().title
    with pytest.raises(
        FieldSpecError, match=r"unknown name 'txt'.*title, text, url, published, author, source"
    ):
        FieldMap.from_spec("txt=content")
    with pytest.raises(ValueError, match="'content' is not NAME=FIELD"):
        FieldMap.from_spec("content")


def test_records_key_names_the_nested_list(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps(
            {"feed": "x", "items": [{"content": BODY, "name": "A"}], "other": [{"content": "other list"}]}
        )
    )
    assert errors(load(path))  # two candidate lists: not guessed
    article = only_article(load(path, fields=FieldMap(records_key="items")))
    assert (article.title, article.text) == ("A", BODY)


def test_bad_jsonl_line_is_reported_and_other_lines_load(tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    good = json.dumps({"title": "Good", "text": BODY})
    path.write_text(good + '\n{"title": "Broken" "text": "x"}\n\n' + good.replace("Good", "Also good") + "\n")
    results = load(path)
    assert [type(r).__name__ for r in results] == ["Article", "LoadError", "Article"]
    assert results[1] == LoadError(f"{path}:2", "invalid JSON at line 2: Expecting ',' delimiter")
    assert results[2].extra == {"record": "line 4"}  # type: ignore[union-attr]


def test_csv_rows_with_multiline_cells_and_scraped_at_date(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text(
        ",id,domain,type,url,content,scraped_at,title,authors\n"
        '0,141,awm.com,unreliable,http://awm.com/a,"First paragraph, with comma.\n\nSecond paragraph.",'
        "2018-01-25 16:17:44.789555,Church Gift,Ruth Harris\n"
        "1,142,beforeitsnews.com,fake,http://beforeitsnews.com/b,,2018-01-25 16:17:44.789555,Empty,\n"
        '2,143,cnnnext.com,unreliable,http://www.cnnnext.com/c,"' + "x" * 200_000 + '",,Huge cell,\n',
        encoding="utf-8",
    )
    results = load(path)
    first, huge = articles(results)
    assert first.text == "First paragraph, with comma.\n\nSecond paragraph."
    assert (first.source, first.published, first.author, first.title) == (
        "awm.com",
        "2018-01-25",
        "Ruth Harris",
        "Church Gift",
    )
    assert first.extra == {"record": "row 2"}
    assert errors(results) == [LoadError(f"{path}:3", "no article text after cleaning")]
    assert len(huge.text) == 200_000 and huge.source == "cnnnext.com"


def test_pdf_with_info_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "tanker.pdf"
    write_pdf(
        path,
        ["Insurers reject the claim over the detained tanker.", "The owners will appeal."],
        {
            "Title": "Insurers Reject Tanker Claim",
            "Author": "Oskar Thessaly",
            "CreationDate": "D:20240612093000+02'00'",
        },
    )
    article = only_article(load(path))
    assert (article.title, article.author, article.published) == (
        "Insurers Reject Tanker Claim",
        "Oskar Thessaly",
        "2024-06-12",
    )
    assert article.text == "Insurers reject the claim over the detained tanker.\nThe owners will appeal."


def test_pdf_without_info_uses_first_line_as_title(tmp_path: Path) -> None:
    path = tmp_path / "memo.pdf"
    write_pdf(path, ["Quarterly Shipping Memo", "Volumes rose in the second quarter."])
    article = only_article(load(path))
    assert article.title == "Quarterly Shipping Memo"
    assert article.text == "Volumes rose in the second quarter."


def test_encrypted_pdf_is_reported(tmp_path: Path) -> None:
    from pypdf import PdfWriter  # pypdf writes the encryption; the test only needs a locked file

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    assert load(path) == [
        LoadError(str(path), "PDF is encrypted; decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)")
    ]


# ---- bad files never stop the rest ------------------------------------------------------------------------


def test_bad_files_are_reported_and_good_file_in_same_folder_loads(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "secret.txt").write_text("Title: Hidden\n\n" + BODY)
    (folder / ".draft.txt").write_text("Title: Draft\n\n" + BODY)
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "latin.txt").write_bytes(b"Title: Bad\n\nBroken \x81\x8d\x90 bytes and \xff more")
    (folder / "empty.md").write_text("")
    (folder / "broken.json").write_text('{"title": "x", "text": }')
    (folder / "nocol.csv").write_text("id,headline,when\n1,Hello,2020-01-01\n")
    (folder / "broken.pdf").write_bytes(os.urandom(2048))
    (folder / "report.docx").write_bytes(b"PK\x03\x04")
    (folder / "sub" / "good.txt").write_text("Title: Good One\n\n" + BODY)

    results = load(folder)
    by_name: dict[str, Any] = {Path(r.path).name: r for r in results}
    assert sorted(by_name) == sorted(
        [
            "binary.txt",
            "latin.txt",
            "empty.md",
            "broken.json",
            "nocol.csv",
            "broken.pdf",
            "report.docx",
            "good.txt",
        ]
    )
    assert [Path(r.path).name for r in results] == sorted(
        by_name, key=lambda n: ("sub/" if n == "good.txt" else "") + n
    )
    assert by_name["binary.txt"] == LoadError(str(folder / "binary.txt"), "binary file (not text)")
    assert (
        by_name["latin.txt"].reason
        == "not valid UTF-8 text (byte 0x81 at offset 19); re-save the file as UTF-8"
    )
    assert by_name["empty.md"].reason == "empty file"
    assert by_name["broken.json"].reason == "invalid JSON at line 1: Expecting value"
    assert by_name["nocol.csv"].reason == (
        "no text column: looked for text, content, body, article, maintext; the file has columns id, "
        "headline, when — pass --fields text=YOURCOLUMN"
    )
    assert isinstance(by_name["broken.pdf"], LoadError)
    assert by_name["broken.pdf"].reason.startswith("could not read PDF: ")
    assert isinstance(by_name["report.docx"], Skipped)
    assert by_name["report.docx"].reason.startswith("unsupported file type '.docx'; supported: .txt, .md")
    good = by_name["good.txt"]
    assert isinstance(good, Article) and good.title == "Good One"
    assert all(isinstance(r, LoadError) for n, r in by_name.items() if n not in ("good.txt", "report.docx"))


def test_missing_path_is_a_load_error_and_a_file_path_may_be_given(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Title: Good\n\n" + BODY)
    results = load(tmp_path / "nope", good)
    assert results[0] == LoadError(str(tmp_path / "nope"), "no such file or folder; check the path")
    assert isinstance(results[1], Article)
    assert list(load_articles(good)) == results[1:]  # a single path works too


def test_unsupported_suffix_is_skipped_by_load_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff")
    (result,) = load_file(path)
    assert isinstance(result, Skipped) and result.path == str(path)
    assert ".jpg" not in SUPPORTED_SUFFIXES


def test_record_errors_do_not_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"title": "A", "text": BODY}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "Empty", "text": "   "}),
        json.dumps({"title": "Widgets only", "text": "Share this:\nFacebook\nTwitter\n\nAdvertisement"}),
        json.dumps({"title": "B", "text": BODY + " More."}),
    ]
    path.write_text("\n".join(lines))
    results = load(path)
    assert [type(r).__name__ for r in results] == [
        "Article",
        "LoadError",
        "LoadError",
        "LoadError",
        "Article",
    ]
    assert results[2] == LoadError(f"{path}:3", "no article text after cleaning")
    assert results[3] == LoadError(f"{path}:4", "no article text after cleaning")


# ---- identity ---------------------------------------------------------------------------------------------


def test_article_ids_are_stable_and_url_based(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title: A\nURL: https://n.test/a/\n\n" + BODY)
    (tmp_path / "b.txt").write_text("Title: B\n\n" + BODY + " Extra.")
    (tmp_path / "c.json").write_text(
        json.dumps({"title": "C", "text": "Different text.", "url": "HTTPS://N.TEST/a"})
    )
    first = [r.id for r in articles(load(tmp_path))]
    second = [r.id for r in articles(load(tmp_path))]
    assert first == second and len(first) == 3
    a, b, c = first
    assert a == article_id("https://n.test/a/") == c  # same normalised URL, whatever the text
    assert b == article_id("", BODY + " Extra.", str(tmp_path / "b.txt"))  # a file's one article: its path
    assert b != article_id("", BODY + " Extra.")


# ---- metadata helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023/01/05", "2023-01-05"),
        ("2016-09-27T20:13:43Z", "2016-09-27"),
        ("2018-01-25 16:17:44.789555", "2018-01-25"),
        ("Jan 27, 2017", "2017-01-27"),
        ("27 January 2017", "2017-01-27"),
        ("Fri, 27 Jan 2017 10:00:00 +0000", "2017-01-27"),
        ("D:20170127103000Z", "2017-01-27"),
        (1474272304000, "2016-09-19"),
        (1474272304, "2016-09-19"),
        ("1474272304000", "2016-09-19"),
        ({"$date": 1474272304000}, "2016-09-19"),
        (date(2020, 2, 29), "2020-02-29"),
        (datetime(2020, 2, 29, 23, 0), "2020-02-29"),
        (None, ""),
        ("", ""),
        ("2017", ""),
        ("January 2017", ""),
        ("Posted 3 days ago", ""),
        ("1899-12-31", ""),
        ("2023-02-30", ""),
        (True, ""),
        ({"$date": None}, ""),
    ],
)
def test_parse_date(value: object, expected: str) -> None:
    assert parse_date(value) == expected


def test_parse_date_rejects_the_future() -> None:
    today = datetime.now(UTC).date()
    assert parse_date((today + timedelta(days=1)).isoformat()) == (today + timedelta(days=1)).isoformat()
    assert parse_date((today + timedelta(days=30)).isoformat()) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Jack Shafer", "Associated Press"], "Jack Shafer, Associated Press"),
        ("['A Writer', 'B Writer']", "A Writer, B Writer"),
        ("[]", ""),
        ([], ""),
        (None, ""),
        (["View All Posts", "Tim Brown"], "Tim Brown"),
        (["https://www.facebook.com/someone", "By Ann Lee"], "Ann Lee"),
        ("Margaret Kimberley, Bar Editor", "Margaret Kimberley, Bar Editor"),
        ({"name": "Ann Lee"}, "Ann Lee"),
        (["Ann Lee", "ann lee"], "Ann Lee"),
    ],
)
def test_parse_authors(value: object, expected: str) -> None:
    assert parse_authors(value) == expected


def test_source_from_url() -> None:
    assert source_from_url("https://www.cnn.com/2022/x") == "cnn.com"
    assert source_from_url("http://politi.co") == "politi.co"
    assert source_from_url("news.example.com/path") == "news.example.com"
    assert source_from_url("") == ""


def test_scraper_record_with_page_metadata_fallbacks(tmp_path: Path) -> None:
    """FakeNewsNet shape: source is a URL, site name and dates live in meta_data, url may be missing."""
    path = tmp_path / "BuzzFeed_Real_1-Webpage.json"
    record = {
        "text": BODY,
        "title": "Sought in Manhattan blast",
        "authors": ["Jack Shafer", "Associated Press"],
        "url": None,
        "canonical_link": "http://www.politico.com/story/2016/09/blast-228351",
        "publish_date": None,
        "source": "http://politi.co",
        "meta_data": {"og": {"site_name": "POLITICO"}, "pubdate": "2016-09-19T06:44:21Z"},
    }
    path.write_text(json.dumps(record))
    article = only_article(load(path))
    assert article.source == "POLITICO"
    assert article.url == "http://www.politico.com/story/2016/09/blast-228351"
    assert article.published == "2016-09-19"
    assert article.author == "Jack Shafer, Associated Press"
    del record["meta_data"]
    path.write_text(json.dumps(record))
    assert only_article(load(path)).source == "politi.co"


# ---- the shared corpora (skipped when ../shared/data is absent) -------------------------------------------


def test_realtimeqa_gcs_file_loads_nested_articles() -> None:
    path = shared("realtimeqa-2023q1", "gcs", "20230106_gcs.jsonl")
    results = load(path)
    loaded = articles(results)
    assert len(loaded) >= 100
    assert all(a.url and a.title for a in loaded)
    assert sum(1 for a in loaded if a.published) >= 0.95 * len(loaded)
    assert all(a.source for a in loaded)
    assert len(errors(results)) <= 10


def test_fakenewsnet_folder_loads_with_the_empty_pages_reported() -> None:
    folder = shared("scraped-news", "fakenewsnet-2017")
    results = load(folder)
    loaded, failed = articles(results), errors(results)
    assert len(loaded) == 418
    # 2 pages have empty text, 2 hold only their title ("Website is Down For Maintenance").
    assert sorted(Path(e.path).name for e in failed) == [
        "BuzzFeed_Fake_13-Webpage.json",
        "BuzzFeed_Fake_39-Webpage.json",
        "PolitiFact_Fake_24-Webpage.json",
        "PolitiFact_Fake_47-Webpage.json",
    ]
    assert all(e.reason.startswith("no article text after cleaning") for e in failed)
    assert sum(1 for a in loaded if a.published) > 300
    assert not any("Story Continued Below" in a.text or "SHARES Facebook Twitter" in a.text for a in loaded)


def test_fakenewscorpus_csv_loads_all_rows_with_domain_as_source() -> None:
    import csv
    import sys

    path = shared("scraped-news", "fakenewscorpus-sample", "news_sample.csv")
    results = load(path)
    loaded = articles(results)
    assert len(loaded) == 250 and not errors(results)
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8") as handle:
        domains = [row["domain"].removeprefix("www.") for row in csv.DictReader(handle)]
    assert [a.source for a in loaded] == domains  # "www.newsmax.com" is read as newsmax.com
    assert all(a.published == "2018-01-25" for a in loaded)
