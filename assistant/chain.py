"""The question-answering chain: rewrite a follow-up, retrieve, answer (LLM or extractive), verify citations."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any, TypedDict

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from assistant.analysis import Analysis
from assistant.generators.excerpts import (
    Excerpt,
    Reading,
    read_passages,
    select_excerpts,
    whole_passages,
)
from assistant.generators.extractive import choose_by_support, extract_answer
from assistant.generators.prompts import (
    BRIEF_TASK,
    build_messages,
    build_rewrite_prompt,
    choice_task,
    parse_choice,
)
from assistant.generators.tokens import count_tokens
from assistant.retrievers.hybrid import PassageRetriever
from assistant.retrievers.parts import question_parts
from assistant.verifiers.answers import verdict
from assistant.verifiers.claims import ClaimReader
from core.answer import Answer, Passage, Sources
from core.errors import LLMError, QuestionError
from core.filters import SearchFilter, matching
from store.articles import ArticleStore

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first
_FOLLOW_UP = re.compile(
    r"^(?:and|but|so|also|what about|how about)\b|\b(?:he|she|it|its|they|them|their|his|her|this|that|those|"
    r"these|there|then)\b",
    re.I,
)


@dataclass(frozen=True)
class Prompt:
    """What the model is given: its messages, the passages whose excerpts fit its context window (numbered
    as the answer cites them), and a note for the analyst when some did not fit."""

    messages: list[BaseMessage]
    passages: list[Passage]
    notes: tuple[str, ...] = ()


class AssistantInput(TypedDict, total=False):
    """What ``Assistant.invoke`` takes besides a bare question string."""

    question: str  # required
    history: History  # (question, answer) pairs, oldest first: the question may be a follow-up
    passages: list[Passage]  # answer from exactly these, skipping retrieval (gold evidence in an evaluation)
    k: int  # candidates the model's excerpts are chosen from (default: the assistant's ``candidates``)
    filter: SearchFilter | dict[str, Any]  # a SearchFilter or a Chroma-style where dict
    as_of: date | str
    min_relevance: float


_SEARCH_KEYS = ("k", "filter", "as_of", "min_relevance")
PART_K = 5  # passages searched for in each source a question names (on top of the question's candidates)


class Assistant(Analysis, Runnable[str | AssistantInput, Answer]):
    """Answers questions about the indexed articles: a LangChain ``Runnable`` from a question (or an
    ``AssistantInput``) to the verified ``Answer``. Build one with ``build_assistant(settings)``.

    ``stream`` yields the ``Sources`` once retrieval ends, then the answer text as it is generated, then the
    ``Answer``; ``invoke``, ``batch``, ``ainvoke`` and ``|`` come from ``Runnable``. The run's config
    (callbacks, tags) reaches the retriever and the model.
    """

    def __init__(
        self,
        retriever: PassageRetriever,
        embeddings: Embeddings,
        articles: ArticleStore,
        llm: BaseChatModel | None = None,
        *,
        context_tokens: int = 4096,
        max_tokens: int = 256,
        excerpt_chars: int = 0,
        candidates: int = 20,
        k: int = 5,
        backend: str = "",
        reader: ClaimReader | None = None,
    ) -> None:
        self.retriever = retriever
        self.embeddings = embeddings
        self.articles = articles
        self.llm = llm
        self.context_tokens = context_tokens
        self.max_tokens = max_tokens
        self.excerpt_chars = excerpt_chars
        self.candidates = candidates  # passages the excerpts are chosen from
        self.k = k  # passages read whole when there are no excerpts (excerpt_chars 0)
        self.split_parts = True  # search each source a question names on its own (retrievers.parts)
        self._excerpts_for: tuple[tuple[str, tuple[str, ...]], list[Excerpt]] | None = None
        self.backend = backend or ("extractive" if llm is None else "llm")
        self.reader = reader  # the trained claim checker behind every citation (None: the words decide)

    @property
    def InputType(self) -> type:
        return str | AssistantInput  # type: ignore[return-value]

    @property
    def OutputType(self) -> type[Answer]:
        return Answer

    def invoke(
        self, input: str | AssistantInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        """The verified answer; ``kwargs`` as the keys of ``AssistantInput`` (``k``, ``filter``, ...)."""
        answer: Answer | None = None
        for item in self.stream(input, config, **kwargs):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(  # type: ignore[override]  # LangChain streams chunks of the output; ours leads with more
        self, input: str | AssistantInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Sources | str | Answer]:
        """Yield the ``Sources`` once retrieval ends, then answer text as it is generated, then the verified
        ``Answer`` (the run's output, as LangChain's callbacks and a following ``|`` step see it)."""
        stream = self._answer_stream
        yield from self._transform_stream_with_config(iter([input]), stream, config, **kwargs)  # type: ignore[arg-type]

    def ask(
        self,
        question: str,
        history: History | None = None,
        *,
        passages: list[Passage] | None = None,
        **search: Any,
    ) -> Answer:
        """``invoke`` with the input's parts as arguments: ``search`` goes to the retriever (``k``,
        ``filter=SearchFilter(...)``); ``passages`` skips retrieval and answers from exactly those."""
        request = AssistantInput(question=question, history=history or [])
        if passages is not None:
            request["passages"] = passages
        return self.invoke(request, **search)

    def _answer_stream(
        self, inputs: Iterator[str | AssistantInput], config: RunnableConfig, **kwargs: Any
    ) -> Iterator[Sources | str | Answer]:
        request: AssistantInput = {}
        for item in inputs:  # one input; the last wins if a stream sends several
            request = AssistantInput(question=item) if isinstance(item, str) else dict(item)  # type: ignore[assignment]
        unknown = set(kwargs) - set(_SEARCH_KEYS)
        if unknown:
            raise QuestionError(
                f"Unknown option {', '.join(sorted(unknown))}: the assistant takes {', '.join(_SEARCH_KEYS)}."
            )
        request.update(kwargs)  # type: ignore[typeddict-item]
        question = " ".join(str(request.get("question", "")).split())
        if not question:
            raise QuestionError("The question is empty: type a question about the articles.")
        history = request.get("history") or []
        timings: dict[str, float] = {}
        began = time.perf_counter()
        standalone = self.rewrite(question, history, config) if history else question
        timings["rewrite"] = time.perf_counter() - began

        t = time.perf_counter()
        given = request.get("passages")
        search_filter = SearchFilter.parse(request.get("filter"), request.get("as_of"))
        if given is not None:
            reading = self.read(standalone, list(given))
            timings["retrieve"] = time.perf_counter() - t
        else:
            candidates, groups = self.retrieve(
                standalone, search_filter, request.get("k"), request.get("min_relevance"), config
            )
            timings["retrieve"] = time.perf_counter() - t
            t = time.perf_counter()
            reading = self.read(standalone, candidates, groups)
        timings["read"] = time.perf_counter() - t
        passages = reading.passages
        yield Sources(tuple(passages))

        t = time.perf_counter()
        notes: tuple[str, ...] = ()
        draft = ""
        if passages and self.llm is None:
            draft = extract_answer(standalone, passages, self.embeddings)
            if draft:
                timings["first_token"] = time.perf_counter() - began
                yield draft
        elif passages:
            prompt = self._prompt(standalone, reading)
            passages, notes = prompt.passages, prompt.notes
            for token in self._generate(prompt.messages, timings, config):
                if not draft:
                    timings["first_token"] = time.perf_counter() - began
                draft += token
                yield token
        timings["generate"] = time.perf_counter() - t

        t = time.perf_counter()
        checked = verdict(
            draft,
            standalone,
            passages,
            self.embeddings,
            closest=self.llm is not None,
            as_of=search_filter.as_of or date.today(),  # no as-of: the date of asking
            reader=self.reader,
        )
        timings["verify"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - began
        yield Answer.of(
            checked,
            passages=passages,
            question=question,
            rewritten_question=standalone if standalone != question else None,
            backend=self.backend,
            timings=timings,
            warnings=notes,
            draft=draft,
            read={e.n: e.text for e in reading.excerpts if e.n <= len(passages)},
        )

    def retrieve(
        self,
        question: str,
        filter: SearchFilter | None = None,
        k: int | None = None,
        min_relevance: float | None = None,
        config: RunnableConfig | None = None,
    ) -> tuple[list[Passage], list[set[int]]]:
        """The candidates the model's excerpts are chosen from: the best ``candidates`` passages for the
        question, then, for a question that asks about several sources, the best few in each source's own
        articles (``retrievers.parts``). Also the candidate numbers (1-based) each part found."""
        base = filter or SearchFilter()
        excerpted = self.excerpt_chars > 0
        k = k or (self.candidates if excerpted else self.k)
        candidates = self.retriever.search(question, k, base, min_relevance, config)
        parts = (
            question_parts(question, self.retriever.known_sources()) if excerpted and self.split_parts else []
        )
        if not parts or not candidates:
            return candidates, []
        groups: list[set[int]] = []
        for part in parts:
            if base.sources and part.source not in matching([part.source], base.sources):
                continue  # the analyst's filter leaves this source out
            found = self.retriever.search(
                part.text, PART_K, replace(base, sources=(part.source,)), min_relevance, config
            )
            group = set()
            for passage in found:
                known = next((i for i, c in enumerate(candidates) if c.chunk_id == passage.chunk_id), None)
                if known is None:
                    candidates.append(passage)
                    known = len(candidates) - 1
                group.add(known + 1)
            groups.append(group)
        return candidates, groups

    def read(self, question: str, candidates: list[Passage], groups: list[set[int]] | None = None) -> Reading:
        """What the model reads of ``candidates``: excerpts under the character budget (whole passages,
        the first ``k``, without one), numbered as the answer cites them."""
        if self.excerpt_chars <= 0:
            reading = Reading(candidates, whole_passages(candidates))
        else:
            reading = read_passages(
                question, candidates, self.embeddings, budget_chars=self.excerpt_chars, groups=groups or ()
            )
        self._excerpts_for = ((question, tuple(p.chunk_id for p in reading.passages)), reading.excerpts)
        return reading

    def choose(
        self,
        question: str,
        choices: list[str],
        passages: list[Passage],
        config: RunnableConfig | None = None,
    ) -> int | None:
        """Index of the choice that ``passages`` support (multiple choice), or None when it can't tell."""
        if not passages or not choices:
            return None
        if self.llm is None:
            return choose_by_support(choices, passages)
        reply = self._complete(question, passages, choice_task(choices), 4, config)
        return parse_choice(reply, choices)

    def short_answer(
        self, question: str, passages: list[Passage], config: RunnableConfig | None = None
    ) -> str:
        """A few-word answer (a name, number, date) from ``passages``, uncited: for exact-match scoring."""
        if not passages:
            return ""
        if self.llm is None:
            return extract_answer(question, passages, self.embeddings, max_sentences=1)
        lines = [
            line.strip() for line in self._complete(question, passages, BRIEF_TASK, 24, config).splitlines()
        ]
        return next((line for line in lines if line), "")

    def _complete(
        self,
        question: str,
        passages: list[Passage],
        task: str,
        max_tokens: int,
        config: RunnableConfig | None = None,
    ) -> str:
        assert self.llm is not None
        messages, _ = build_messages(
            question,
            self.excerpts(question, passages),
            context_tokens=self.context_tokens,
            answer_tokens=self.max_tokens,  # the same budget as the answer: same passages, shared prompt cache
            count_tokens=partial(count_tokens, self.llm),
            task=task,
        )
        try:
            return str(self.llm.invoke(messages, config, max_tokens=max_tokens).content)
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(f"The language model failed: {exc}. Try --llm extractive.") from exc

    def rewrite(self, question: str, history: History, config: RunnableConfig | None = None) -> str:
        """A standalone version of a follow-up question, for retrieval."""
        if not history or not _FOLLOW_UP.search(question):
            return question
        if self.llm is None:
            return f"{history[-1][0]} {question}"  # carry the previous question's names into the search
        fallback = f"{history[-1][0]} {question}"
        try:
            prompt = build_rewrite_prompt(question, list(history))
            reply = str(self.llm.invoke(prompt, config, max_tokens=80).content)
        except Exception:  # the rewrite is a nicety: a failing model should not fail the question here
            return fallback
        lines = [line.strip(' "') for line in reply.strip().splitlines() if line.strip(' "')]
        rewritten = lines[0].removeprefix("Standalone question:").strip() if lines else ""
        # A rewrite that still names nothing from the conversation has lost the thread: search with both.
        # A rewrite that repeats an earlier question, or names nothing from the conversation, has lost the
        # thread (small models do both): then search with the previous question and the follow-up together.
        earlier = {q.strip().lower() for q, _ in history}
        keeps_thread = _names(rewritten) & _names(" ".join(history[-1]))
        return rewritten if rewritten and rewritten.lower() not in earlier and keeps_thread else fallback

    def _prompt(self, question: str, reading: Reading) -> Prompt:
        """The model's messages, and the passages that fit its context window (numbering kept)."""
        excerpts = reading.excerpts
        messages, kept = build_messages(
            question,
            excerpts,
            context_tokens=self.context_tokens,
            answer_tokens=self.max_tokens,
            count_tokens=partial(count_tokens, self.llm),
        )
        if kept == len(excerpts):
            return Prompt(messages, reading.passages)
        return Prompt(
            messages,
            reading.passages[: excerpts[kept - 1].n if kept else 0],
            (f"Only {kept} of {len(excerpts)} passages fit in the model's context window.",),
        )

    def _generate(
        self, messages: list[BaseMessage], timings: dict[str, float], config: RunnableConfig
    ) -> Iterator[str]:
        """The model's answer as it is written; its token counts go into ``timings``."""
        assert self.llm is not None
        written = ""
        try:
            for chunk in self.llm.stream(messages, config, stream_usage=True):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    timings["prompt_tokens"] = float(usage.get("input_tokens", 0))
                    timings["cached_tokens"] = float(
                        (usage.get("input_token_details") or {}).get("cache_read", 0)
                    )
                    timings["answer_tokens"] = float(usage.get("output_tokens", 0))
                if isinstance(chunk.content, str) and chunk.content:
                    written += chunk.content
                    yield chunk.content
                    if _repeats(written):  # a small model can loop on one sentence until max_tokens
                        break
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(
                f"The language model failed while answering: {exc}. Try --llm extractive."
            ) from exc

    def excerpts(self, question: str, passages: list[Passage]) -> list[Excerpt]:
        """What the model reads of ``passages``: the sentences nearest the question (the same for the answer,
        the choice and the brief answer, so llama.cpp's prompt cache serves all three)."""
        key = (question, tuple(p.chunk_id for p in passages))
        # One read: another thread (the UI answers several questions at once) may replace it meanwhile.
        cached = self._excerpts_for
        if cached is not None and cached[0] == key:
            return cached[1]
        chosen = select_excerpts(question, passages, self.embeddings, budget_chars=self.excerpt_chars)
        self._excerpts_for = (key, chosen)
        return chosen


def _names(text: str) -> set[str]:
    """Capitalised words after a sentence's first word: a cheap stand-in for the entities it mentions."""
    return {
        w.lower()
        for sentence in re.split(r"[.?!]\s+", text)
        for w in re.findall(r"\b[A-Z][\w-]+", sentence)[1:]
    }


def _repeats(text: str) -> bool:
    """Whether the last finished sentence of ``text`` was already said: the model is looping."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    finished = sentences if text.rstrip().endswith((".", "!", "?")) else sentences[:-1]
    return len(finished) >= 2 and finished[-1] in finished[:-1]
