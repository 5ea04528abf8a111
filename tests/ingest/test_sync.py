"""Ingest as a sync of a folder: incremental runs, --prune, vector re-use, crash repair, the writer lock, and
bad input, on real Chroma and real MiniLM. A re-run after any change must leave exactly what a clean ingest of
the same files leaves."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.collection import open_index
from ingest.load import load_articles
from store.chroma import StoreBusyError, writer_lock

SENTENCES = [
    "The Velmora port authority reported {n} containers stranded after the strike.",
    "Dockworkers in district {n} walked out on Monday over unpaid overtime.",
    "Union leader Ada Brenn said talks with the operator would resume on day {n}.",
    "Shipping lines diverted {n} vessels to the northern port of Korsk.",
    "Officials estimated losses of {n} million crowns in the first week.",
]


def write_article(folder: Path, n: int, extra: str = "") -> Path:
    body = " ".join(s.format(n=n * 7 + i) for i, s in enumerate(SENTENCES))
    path = folder / f"article-{n:03d}.txt"
    path.write_text(
        f"Title: Port dispute day {n}\nSource: Ledger\nDate: 2024-01-{n % 28 + 1:02d}\n\n{body} {extra}"
    )
    return path


def snapshot(data_dir: Path, collection: str = "docs") -> dict[str, tuple[str, tuple]]:
    """Every chunk by id: its text and metadata (what a clean ingest must reproduce exactly)."""
    index = open_index(Settings(data_dir=data_dir, collection=collection, llm="extractive"))
    return {c.id: (c.text, tuple(sorted(c.meta.items()))) for page in index.chunks.pages() for c in page}


def ingest(data_dir: Path, folder: Path, **kw):
    index = open_index(Settings(data_dir=data_dir, collection="docs", llm="extractive", chunk_size=200))
    return index.ingest(load_articles([folder]), prune_under=[folder] if kw.pop("prune", False) else (), **kw)


def test_changes_and_prune_leave_what_a_clean_ingest_leaves(tmp_path, embeddings):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(6):
        write_article(folder, n)
    first = ingest(tmp_path / "a", folder)
    assert first.added == 6 and first.embedded == first.chunks > 6

    write_article(folder, 2, extra="A new closing sentence was added to this report.")  # changed
    (folder / "article-004.txt").unlink()  # gone
    write_article(folder, 9)  # new
    second = ingest(tmp_path / "a", folder, prune=True)
    assert (second.added, second.updated, second.unchanged, second.removed) == (1, 1, 4, 1)
    statuses = {Path(o.path).name: o.status for o in second.outcomes}
    assert statuses["article-002.txt"] == "updated" and statuses["article-004.txt"] == "removed"
    # The changed article kept most of its passages: their vectors were re-used, not embedded again.
    changed = [o for o in second.outcomes if o.status in ("added", "updated")]
    assert len(changed) == 2 and second.embedded < second.chunks

    clean = ingest(tmp_path / "b", folder)
    assert clean.added == 6
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    third = ingest(tmp_path / "a", folder, prune=True)
    assert (third.articles, third.removed, third.unchanged, third.embedded) == (0, 0, 6, 0)


def test_prune_keeps_the_articles_of_a_file_that_failed_to_load(tmp_path, embeddings):
    folder = tmp_path / "in"
    folder.mkdir()
    keep = write_article(folder, 1)
    write_article(folder, 2)
    ingest(tmp_path / "d", folder)
    keep.write_bytes(b"\x00\x01binary now")  # the file is damaged, not deleted: its article stays
    (folder / "article-002.txt").unlink()
    report = ingest(tmp_path / "d", folder, prune=True)
    assert report.removed == 1 and [e.path for e in report.errors] == [str(keep)]
    index = open_index(Settings(data_dir=tmp_path / "d", collection="docs", llm="extractive"))
    assert [a.title for a in index.articles.list()] == ["Port dispute day 1"]


def test_a_record_removed_from_a_jsonl_file_is_pruned(tmp_path, embeddings):
    folder = tmp_path / "in"
    folder.mkdir()
    records = [
        {"title": f"Record {n}", "text": SENTENCES[n].format(n=n), "url": f"https://x.test/{n}"}
        for n in range(3)
    ]
    feed = folder / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(r) for r in records))
    ingest(tmp_path / "d", folder)
    feed.write_text("\n".join(json.dumps(r) for r in records[:2]))
    report = ingest(tmp_path / "d", folder, prune=True)
    assert (report.unchanged, report.removed) == (2, 1)


def test_a_second_writer_is_refused_with_the_way_out(tmp_path, embeddings):
    folder = tmp_path / "in"
    folder.mkdir()
    write_article(folder, 1)
    with writer_lock(tmp_path / "d", "test holder"), pytest.raises(StoreBusyError) as caught:
        ingest(tmp_path / "d", folder)
    message = str(caught.value)
    assert "test holder" in message and "--chroma-url" in message and "chroma run" in message
    assert ingest(tmp_path / "d", folder).added == 1  # released: the next writer goes ahead


def test_killed_ingest_is_completed_by_the_next_run(tmp_path, embeddings):
    """SIGKILL the real CLI at random points of its writing, several times; then one full run must leave
    no duplicate, orphan or missing chunk: the same chunks as a clean ingest."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(240):
        write_article(folder, n)
    exe = Path(sys.executable).parent / "assistant"
    data = tmp_path / "killed"
    command = [str(exe), "ingest", str(folder), "--data-dir", str(data), "--collection", "docs"]
    env = {**os.environ, "ASSISTANT_CHUNK_SIZE": "200"}
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target = rng.randint(1, 200)
        while proc.poll() is None and recorded(data) < target:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    assert kills >= 2, "the ingest finished before it could be killed; make the corpus bigger"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert pending(data) == 0

    clean = ingest(tmp_path / "clean", folder)
    assert clean.added == 240
    assert snapshot(data) == snapshot(tmp_path / "clean")


def recorded(data: Path) -> int:
    return _count(data, "SELECT COUNT(*) FROM articles")


def pending(data: Path) -> int:
    return _count(data, "SELECT COUNT(*) FROM pending")


def _count(data: Path, sql: str) -> int:
    path = data / "articles.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def test_bad_input_is_reported_and_everything_else_ingested(tmp_path, embeddings):
    from pypdf import PdfWriter

    folder = tmp_path / "in"
    folder.mkdir()
    write_article(folder, 1)
    write_article(folder, 2)
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "invalid-utf8.txt").write_bytes(b"Title: Bad\n\nBroken \x81\x8d\x90 bytes")
    (folder / "empty.md").write_text("")
    with open(folder / "huge.txt", "wb") as big:  # 50 MB of text
        big.write(b"Title: Huge\n\n" + b"All quiet in the port today. " * (50 * 2**20 // 29))
    (folder / "feed.jsonl").write_text('{"title": "Good record", "text": "Korsk harbour reopened."}\n{oops\n')
    (folder / "nocol.csv").write_text("id,headline\n1,Hello\n")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    (folder / "locked.pdf").write_bytes(buffer.getvalue())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(4096))
    (folder / "unreadable.txt").symlink_to("/proc/self/mem")  # reading it fails, even for root

    exe = Path(sys.executable).parent / "assistant"
    base = [str(exe), "ingest", str(folder), "--data-dir", str(tmp_path / "d"), "--collection", "docs"]
    done = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1  # something failed, and the exit status says so
    report = json.loads(done.stdout)
    reasons = {Path(e["path"]).name: e["reason"] for e in report["errors"]}
    assert reasons == {
        "binary.txt": "binary file (not text)",
        "invalid-utf8.txt": "not valid UTF-8 text (byte 0x81 at offset 19); re-save the file as UTF-8",
        "empty.md": "empty file",
        "huge.txt": reasons["huge.txt"],
        "feed.jsonl:2": "invalid JSON at line 2: Expecting property name enclosed in double quotes",
        "nocol.csv": reasons["nocol.csv"],
        "locked.pdf": "PDF is encrypted; decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)",
        "broken.pdf": reasons["broken.pdf"],
        "unreadable.txt": reasons["unreadable.txt"],
    }
    assert (
        reasons["huge.txt"].startswith("file is 50.0 MB, over the 25 MB limit")
        and "--max-file-mb" in reasons["huge.txt"]
    )
    assert reasons["nocol.csv"].startswith("no text column")
    assert reasons["broken.pdf"].startswith("could not read PDF")
    assert reasons["unreadable.txt"].startswith("cannot read the file")
    assert report["added"] == 3  # two articles and the good JSONL record

    shutil.rmtree(tmp_path / "d")
    strict = subprocess.run([*base, "--strict"], capture_output=True, text=True, timeout=300)
    assert strict.returncode == 1
    errors = [line for line in strict.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].endswith("binary.txt: binary file (not text)")
    assert "stopped early: --strict: " in strict.stdout
    assert "2 articles indexed" in strict.stdout  # those read before binary.txt; nothing after it
