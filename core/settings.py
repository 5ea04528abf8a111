"""One frozen ``Settings``, built once from environment variables and CLI flags, then passed down.

Only this module (and the CLI) reads ``os.environ``; components take explicit arguments.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.errors import ConfigError

_COLLECTION_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{1,510})[A-Za-z0-9]")
LLM_BACKENDS = ("auto", "extractive", "local", "openai")
LLM_PROFILES = ("default", "fast", "tiny")
EMBEDDING_MODELS = ("minilm", "mpnet")
RETRIEVERS = ("dense", "bm25", "hybrid")
RESCORERS = ("none", "mpnet")
EMBED_PRECISIONS = ("auto", "fp32", "bf16", "int8")
CLAIM_CHECKERS = ("off", "on")


def default_models_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "article-assistant" / "models"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    collection: str = "articles"
    embedding_model: str = "minilm"
    # "auto": bfloat16 where the CPU computes it natively (AMX / AVX512-BF16: 2.3x faster, cosine 0.99997
    # to float32), else float32.
    embed_precision: str = "auto"
    chroma_url: str = ""  # a Chroma server (http://host:8000) instead of the store embedded in data_dir
    max_file_mb: float = 25.0  # larger single-article files (txt, md, html, pdf, json) are refused
    # "auto": the local model when it has been set up (``assistant setup-model``), else extractive.
    llm: str = "auto"
    llm_profile: str = "default"
    models_dir: Path = field(default_factory=default_models_dir)
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str = field(default="", repr=False)
    k: int = 5  # passages a search returns; read whole by the answerer when there are no excerpts
    candidates: int = 20  # passages the answerer's excerpts are chosen from
    retriever: str = "hybrid"  # dense (Chroma), bm25, or both fused
    fetch_k: int = 30  # candidates taken from each search before fusion and selection
    date_boost: float = 1.0  # prefer articles from the period a question names ("last week"); 0: off
    recency: float = 1.0  # prefer articles published shortly before the as-of date (today); 0: off
    rescore: str = "none"  # second stage: re-rank candidates with all-mpnet-base-v2
    mmr: float = 1.0  # maximal marginal relevance lambda: 1.0 off, 0.7 favours diverse passages
    chunk_size: int = 800  # characters, sentence-aligned
    chunk_overlap: int = 1  # sentences repeated at the start of the next chunk
    # The trained claim checker (models/checker): "on" lets it decide every answer sentence and check_claim;
    # "off" leaves both to word overlap, which measured better on the hand-labelled drafts (docs/evaluation.md,
    # "The claim checker": the checker halved false accepts and doubled false refusals).
    claim_checker: str = "off"
    min_relevance: float = 0.30  # cosine similarity below which a passage is not evidence
    # The language model reads only the passages' sentences nearest the question (and their neighbours), up
    # to this many characters: the prompt's length is the wait before the first word. 0: whole passages.
    excerpt_chars: int = 1200
    temperature: float = 0.0
    max_tokens: int = 256  # an answer is a few cited sentences; the cap bounds a looping model's wait
    context_tokens: int = 4096
    threads: int = 0  # 0: all cores

    def __post_init__(self) -> None:
        for name in ("data_dir", "models_dir"):  # accept str from Python callers
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())
        _check_choice("llm", self.llm, LLM_BACKENDS)
        _check_choice("llm_profile", self.llm_profile, LLM_PROFILES)
        _check_choice("embedding_model", self.embedding_model, EMBEDDING_MODELS)
        _check_choice("embed_precision", self.embed_precision, EMBED_PRECISIONS)
        _check_choice("claim_checker", self.claim_checker, CLAIM_CHECKERS)
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"chroma_url must be an http(s) URL such as http://127.0.0.1:8000. Currently, it is "
                f"{self.chroma_url!r}."
            )
        if self.max_file_mb <= 0:
            raise ConfigError(f"max_file_mb must be greater than 0. Currently, it is {self.max_file_mb}.")
        _check_choice("retriever", self.retriever, RETRIEVERS)
        _check_choice("rescore", self.rescore, RESCORERS)
        if not 0.0 <= self.mmr <= 1.0:
            raise ConfigError(f"mmr must be between 0 and 1 (1 turns it off). Currently, mmr is {self.mmr}.")
        for name in ("k", "candidates", "fetch_k", "chunk_size", "max_tokens", "context_tokens"):
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"{name} must be greater than 0. Currently, {name} is {getattr(self, name)}."
                )
        if self.excerpt_chars < 0:
            raise ConfigError(
                f"excerpt_chars must be 0 (whole passages) or more. Currently, it is {self.excerpt_chars}."
            )
        if self.fetch_k < self.k:
            raise ConfigError(f"fetch_k ({self.fetch_k}) must be at least k ({self.k}).")
        if not _COLLECTION_NAME.fullmatch(self.collection):
            raise ConfigError(
                f"Collection name {self.collection!r} is not valid: use 3-512 letters, digits, '.', '-' or '_', "
                "starting and ending with a letter or digit (e.g. 'articles' or 'rtqa-2023')."
            )

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given non-None values replaced (CLI flags win over the environment)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


# Environment variable -> field. Every field can be set as ASSISTANT_<FIELD>, plus a few conventional names.
_EXTRA_ENV = {"OPENAI_API_KEY": "openai_api_key", "OPENAI_BASE_URL": "openai_base_url"}


def settings_from_env(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from ``ASSISTANT_*`` variables, then ``overrides`` (flags) on top."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(Settings):
        names = [f"ASSISTANT_{f.name.upper()}"] + [k for k, v in _EXTRA_ENV.items() if v == f.name]
        for name in names:
            if env.get(name, "") != "":
                values[f.name] = _convert(f.name, env[name], name)
                break
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def _convert(field_name: str, raw: str, env_name: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[field_name]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
    except ValueError:
        raise ConfigError(f"{env_name}={raw!r} is not a valid {kind}; fix or unset it.") from None
    return raw


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}. Currently, {name} is {value!r}.")
