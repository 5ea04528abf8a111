"""What the HTTP API takes: OpenAI's chat request with the assistant's filters beside it (what a client sets
through ``extra_body``), and the native search and ask requests. Each field says what is wrong with it and
what to write instead."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.archive_check import MAX_CHARS
from core.errors import QuestionError
from core.filters import SearchFilter, as_date

MODEL_PREFIX = "articles:"  # a model per collection: "articles:sample"
MAX_QUESTION_CHARS = 4000
MAX_CHECK_CHARS = MAX_CHARS  # a request's text to check


def split_names(value: Any) -> Any:
    """ "Reuters,AP" (as the UI takes it) as a list; anything else as given."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def read_day(value: Any) -> Any:
    """An ISO date (or a date) as a date; a readable error for anything else."""
    if value is None or isinstance(value, date):
        return value
    try:
        return as_date(str(value))
    except QuestionError as exc:
        raise ValueError(str(exc)) from None


class Filters(BaseModel):
    """Which articles may answer, and how many passages to read: the same filters as ``ask`` and the UI."""

    model_config = ConfigDict(extra="ignore")

    collection: str | None = Field(
        None, description="Collection to ask (default: the model's, or the server's)"
    )
    sources: list[str] | None = Field(
        None, description='Outlets, e.g. ["Reuters", "AP"] (partial names match)'
    )
    authors: list[str] | None = Field(None, description="Authors (partial names match)")
    since: date | None = Field(None, description="Earliest publication date, YYYY-MM-DD")
    until: date | None = Field(None, description="Latest publication date, YYYY-MM-DD")
    as_of: date | None = Field(
        None, description="When the question is asked: later articles are not evidence"
    )
    k: int | None = Field(None, ge=1, le=50, description="Passages to read from (default: the server's)")

    @field_validator("sources", "authors", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return split_names(value)

    @field_validator("since", "until", "as_of", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return read_day(value)

    def search_filter(self) -> SearchFilter:
        return SearchFilter(
            sources=tuple(self.sources or ()),
            authors=tuple(self.authors or ()),
            since=self.since,
            until=self.until,
            as_of=self.as_of,
        )


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (a list of content parts is joined; images and the like are left out)."""
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(Filters):
    """OpenAI's ``/v1/chat/completions`` request: the other OpenAI fields (temperature, max_tokens, ...) are
    accepted and ignored, since the assistant's answers are verified against their passages."""

    model: str = Field(..., description=f"{MODEL_PREFIX}COLLECTION (GET /v1/models lists them)")
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False


class SearchRequest(Filters):
    query: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)


class AskRequest(Filters):
    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[tuple[str, str]] = Field(
        default_factory=list, description="Earlier (question, answer) pairs, oldest first"
    )
    format: Literal["json", "markdown"] = Field("json", description="The Answer as JSON, or as Markdown")


class CheckRequest(Filters):
    text: str = Field(
        ...,
        min_length=1,
        max_length=MAX_CHECK_CHARS,
        description="A claim, or a paragraph whose sentences are each checked against the archive",
    )
    format: Literal["json", "markdown"] = Field("json", description="The checks as JSON, or as Markdown")


class TimelineRequest(Filters):
    topic: str = Field(
        ..., min_length=1, max_length=MAX_QUESTION_CHARS, description="The story, e.g. 'Fed rates'"
    )
    max_events: int = Field(20, ge=1, le=100, description="Events at most (the most reported are kept)")


class BriefRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    collection: str | None = Field(None, description="Collection to read (default: the server's)")
    topic: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS, description="The story")
    since: str = Field(
        ...,
        min_length=1,
        max_length=100,
        description="What is new since: YYYY-MM-DD, or words read from as_of ('last week')",
    )
    as_of: date | None = Field(None, description="Brief as of this date (default: today)")
    sources: list[str] | None = Field(None, description="Outlets (partial names match)")

    @field_validator("sources", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return split_names(value)

    @field_validator("as_of", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return read_day(value)

    def search_filter(self) -> SearchFilter:
        return SearchFilter(sources=tuple(self.sources or ()), as_of=self.as_of)


def api_error(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    """The error body OpenAI's clients read (``error.message`` is what they show)."""
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    """One readable sentence for pydantic's errors: which field, what is wrong, what to write."""
    first = errors[0]
    where = [str(p) for p in first.get("loc", ()) if p not in ("body",)]
    field = where[0] if where else None
    reason = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    hints = {
        "since": "write a date as YYYY-MM-DD, e.g. 2023-01-31",
        "until": "write a date as YYYY-MM-DD, e.g. 2023-01-31",
        "as_of": "write a date as YYYY-MM-DD, e.g. 2023-01-31",
        "k": "give a number of passages from 1 to 50",
        "sources": 'give a list of outlet names, e.g. ["Reuters"]',
        "authors": 'give a list of author names, e.g. ["Jane Doe"]',
        "messages": 'send at least one message, the last {"role": "user", "content": "your question"}',
        "model": f"name a model from GET /v1/models, e.g. {MODEL_PREFIX}articles",
        "query": "send the words to search for",
        "question": "send the question to answer",
        "topic": "name the story, e.g. 'Federal Reserve interest rates'",
        "max_events": "give a number of events from 1 to 100",
        "text": f"send the claim or paragraph to check, at most {MAX_CHECK_CHARS:,} characters",
    }
    hint = hints.get(field or "", "see the API's schema at /docs")
    label = ".".join(where) or "the request body"
    return f"{label}: {reason}; {hint}.", field
