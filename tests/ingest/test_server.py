"""The same ingest and questions against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.errors import StoreError
from core.settings import Settings
from ingest.collection import list_collections, open_index
from tests.conftest import SAMPLE, SAMPLE_ARTICLES

EXE = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    server = subprocess.Popen(
        [str(EXE / "chroma"), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"chroma run did not start: {(path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE / "assistant"), *map(str, args)], capture_output=True, text=True, timeout=600
    )


@pytest.mark.integration
def test_ingest_and_ask_through_a_chroma_server(chroma_url, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_ARTICLES, corpus)

    def on(machine: str, *args: object) -> dict:
        done = cli(
            *args,
            "--chroma-url",
            chroma_url,
            "--collection",
            "shared",
            "--data-dir",
            tmp_path / machine,
            "--json",
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    report = on("a", "ingest", corpus)
    assert report["added"] == 16
    # Another machine (another data directory) sees the same record: nothing to do.
    again = on("b", "ingest", corpus)
    assert (again["unchanged"], again["articles"]) == (16, 0)
    stats = on("b", "stats")
    assert (stats["articles"], stats["chunks"]) == (16, report["chunks"])
    question = json.loads((SAMPLE / "questions.jsonl").read_text().splitlines()[0])
    answer = on("b", "ask", question["question"], "--llm", "extractive")
    assert not answer["declined"] and answer["citations"][0]["title"] == question["article_title"]

    settings = Settings(data_dir=tmp_path / "b", collection="shared", chroma_url=chroma_url, llm="extractive")
    assert "shared" in list_collections(settings)
    assert not [n for n in list_collections(settings) if n.startswith("shared.")]  # the record's collections
    # No lock file: the server takes several writers.
    assert not (tmp_path / "a" / "write.lock").exists()


@pytest.mark.integration
def test_an_interrupted_server_ingest_is_repaired(chroma_url, tmp_path, embeddings):
    from ingest.load import load_articles

    settings = Settings(data_dir=tmp_path, collection="repair", chroma_url=chroma_url, llm="extractive")
    index = open_index(settings)
    index.ingest(load_articles([SAMPLE_ARTICLES]))
    victim = index.articles.list()[0]
    index.articles.mark_pending([victim.id, "never-recorded"])  # as a killed run leaves them
    index.chunks.upsert(
        ["orphan"], np.full((1, 384), 0.1, dtype=np.float32), ["x"], [{"article_id": "never-recorded"}]
    )
    report = index.ingest([])
    assert report.repaired == 1 and index.articles.pending() == set()
    assert index.chunks.get(["orphan"]) == {}
    assert index.articles.counts() == (16, index.chunks.count())


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=r"Cannot reach the Chroma server .*\. Start it \(`chroma run"):
        open_index(Settings(data_dir=tmp_path, collection="x-none", chroma_url=url))
