"""What an analyst asks of the archive besides questions: check a claim (``check``, ``check_text``,
``checker``), see how a story moved (``timeline``) and what changed since a date (``brief``). ``Assistant``
takes these methods from here; they use its retriever, its answerer (to write a timeline's sentences) and its
claim checker."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig

from assistant.archive_check import ArchiveChecker, claims_of, default_reader
from assistant.brief import build_brief
from assistant.retrievers.hybrid import PassageRetriever
from assistant.timeline import build_timeline
from assistant.verifiers.claims import ClaimReader
from core.claims import ClaimCheck
from core.errors import QuestionError
from core.filters import SearchFilter
from core.timeline import Brief, Timeline
from core.words import match_words

_BUILDING = threading.Lock()


class Analysis:
    """The archive tools of an ``Assistant`` (which sets ``retriever``, ``llm`` and ``reader``)."""

    retriever: PassageRetriever
    llm: BaseChatModel | None
    reader: ClaimReader | None
    _checker: ArchiveChecker | None = None

    @property
    def checker(self) -> ArchiveChecker:
        """Claims checked against this assistant's archive, as a ``Runnable`` (``batch`` for many claims): read
        by the trained checker whenever its weights are there, whatever ``claim_checker`` says of answers.
        Built on first use, once, whichever request comes first (an assistant serves many at once)."""
        if self._checker is None:
            with _BUILDING:
                if self._checker is None:
                    self._checker = ArchiveChecker(self.retriever, self.reader or default_reader())
        return self._checker

    def check(
        self,
        claim: str,
        filter: SearchFilter | dict[str, Any] | None = None,
        as_of: date | str | None = None,
    ) -> ClaimCheck:
        """Whether the archive states ``claim``, states otherwise, or says nothing of it (supported,
        contradicted, not_found), with the reports that say so, latest first, and the passages read."""
        claim = " ".join(claim.split())
        if not claim:
            raise QuestionError("The claim is empty: give a sentence to check against the articles.")
        return self.checker.check([claim], SearchFilter.parse(filter, as_of))[0]

    def check_text(
        self,
        text: str,
        filter: SearchFilter | dict[str, Any] | None = None,
        as_of: date | str | None = None,
    ) -> list[ClaimCheck]:
        """Each sentence of ``text`` (a paragraph, a draft) checked as ``check`` checks one claim."""
        return self.checker.check(claims_of(text), SearchFilter.parse(filter, as_of))

    def timeline(
        self,
        topic: str,
        filter: SearchFilter | dict[str, Any] | None = None,
        as_of: date | str | None = None,
        *,
        max_events: int = 20,
        config: RunnableConfig | None = None,
    ) -> Timeline:
        """How ``topic`` developed: its events in date order, one sentence each (written by the model when
        there is one, checked against its reports), every report cited, changed values said plainly."""
        topic = _topic(topic)
        if not 1 <= max_events <= 100:
            raise QuestionError(f"max_events must be between 1 and 100. Currently, it is {max_events}.")
        search = SearchFilter.parse(filter, as_of)
        return build_timeline(
            topic,
            self.retriever,
            search,
            max_events=max_events,
            llm=self._writer(config),
            reader=self._writer_check(),
        )

    def brief(
        self,
        topic: str,
        since: date | str,
        filter: SearchFilter | dict[str, Any] | None = None,
        as_of: date | str | None = None,
        config: RunnableConfig | None = None,
    ) -> Brief:
        """What is new on ``topic`` since ``since`` (a date, or words such as "last week" read from the as-of
        date), latest first, and what it changed from before."""
        search = SearchFilter.parse(filter, as_of)
        return build_brief(
            _topic(topic),
            since,
            self.retriever,
            search,
            llm=self._writer(config),
            reader=self._writer_check(),
        )

    def _writer_check(self) -> ClaimReader | None:
        """What checks a model-written sentence: the trained checker (loaded only when a model writes)."""
        return self.checker.reader if self.llm is not None else None

    def _writer(self, config: RunnableConfig | None) -> BaseChatModel | None:
        return self.llm.with_config(config) if self.llm is not None and config else self.llm  # type: ignore[return-value]


def _topic(topic: str) -> str:
    topic = " ".join(topic.split())
    if not topic:
        raise QuestionError("The topic is empty: name the story, e.g. 'Federal Reserve interest rates'.")
    if not [w for w in match_words(topic) if not w.isdigit()]:
        raise QuestionError(
            f"The topic {topic!r} names no story (a year or common words alone): add what it is about, e.g. "
            "'Oscars 2023'."
        )
    return topic
