"""The options the ``assistant`` commands share (store, answerer, retrieval, filters), and the settings and
filter they make."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.errors import AssistantError
from core.settings import (
    EMBEDDING_MODELS,
    LLM_BACKENDS,
    LLM_PROFILES,
    RESCORERS,
    RETRIEVERS,
    Settings,
    settings_from_env,
)

if TYPE_CHECKING:
    from core.filters import SearchFilter


def store_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--chroma-url",
        help="A Chroma server (e.g. http://127.0.0.1:8000) instead of the store in --data-dir "
        "(env ASSISTANT_CHROMA_URL).",
    )(f)
    f = click.option(
        "--embedding-model",
        type=click.Choice(EMBEDDING_MODELS),
        help="Embedder (env ASSISTANT_EMBEDDING_MODEL).",
    )(f)
    f = click.option(
        "--collection", help="Collection (corpus) name (env ASSISTANT_COLLECTION; default 'articles')."
    )(f)
    f = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where the index lives (env ASSISTANT_DATA_DIR; default ./data).",
    )(f)
    return f


def llm_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--k", "k", type=click.IntRange(1, 50), help="Passages given to the answerer (default 5)."
    )(f)
    f = click.option(
        "--profile",
        "llm_profile",
        type=click.Choice(LLM_PROFILES),
        help="Local model: default (Qwen2.5 1.5B), fast (0.5B), tiny (SmolLM2 135M).",
    )(f)
    f = click.option(
        "--llm",
        type=click.Choice(LLM_BACKENDS),
        help="Answerer (env ASSISTANT_LLM): auto = local model if set up, else extractive.",
    )(f)
    return f


def retrieval_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--rescore", type=click.Choice(RESCORERS), help="Re-rank candidates with mpnet.")(f)
    f = click.option(
        "--retriever", type=click.Choice(RETRIEVERS), help="dense, bm25 or hybrid (default; both fused)."
    )(f)
    return f


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    day = click.DateTime(formats=["%Y-%m-%d"])
    f = click.option("--as-of", type=day, help="Answer as of this date: later articles are ignored.")(f)
    f = click.option("--until", type=day, help="Only articles published on or before YYYY-MM-DD.")(f)
    f = click.option("--since", type=day, help="Only articles published on or after YYYY-MM-DD.")(f)
    f = click.option("--author", "authors", multiple=True, help="Only articles by this author (repeatable).")(
        f
    )
    f = click.option(
        "--source", "sources", multiple=True, help="Only articles from this source (repeatable)."
    )(f)
    return f


def output_options(json_help: str, markdown_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--json`` and ``--format text|json|markdown`` (``as_json`` and ``fmt``), for a command whose result
    also exports as Markdown."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json", "markdown"]),
            default="text",
            show_default=True,
            help=markdown_help,
        )(f)
        return click.option("--json", "as_json", is_flag=True, help=json_help)(f)

    return decorate


def make_filter(flags: dict[str, Any]) -> SearchFilter | None:
    """Pop the filter flags out of ``flags`` into a ``SearchFilter`` (None when none was given)."""
    from core.filters import SearchFilter

    sources, authors = tuple(flags.pop("sources", ())), tuple(flags.pop("authors", ()))
    since, until, as_of = (flags.pop(k, None) for k in ("since", "until", "as_of"))
    if not (sources or authors or since or until or as_of):
        return None
    return SearchFilter(
        sources=sources,
        authors=authors,
        since=since.date() if since else None,
        until=until.date() if until else None,
        as_of=as_of.date() if as_of else None,
    )


def make_settings(**flags: Any) -> Settings:
    try:
        return settings_from_env(**flags)
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from None
