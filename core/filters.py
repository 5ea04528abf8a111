"""Which articles may answer: ``SearchFilter`` (sources, authors, a date range, the as-of date), the one filter
type from the CLI, the UI, the API and eval down to the store. Built directly, or once at the edge from the
Chroma-style ``where`` dict LangChain users pass to ``retriever.invoke(q, filter=...)``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from core.chunks import day_number
from core.errors import QuestionError


@dataclass(frozen=True)
class SearchFilter:
    """Which articles may answer: by source, author and publication date (all inclusive).

    ``as_of`` is the moment the question is asked: later articles are not evidence, and relative dates in
    the question ("last week") count back from it. Undated articles pass ``as_of`` but not ``since``/``until``.
    """

    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QuestionError(
                f"The date range is empty: since {self.since} is after until {self.until}. Swap them."
            )

    @property
    def empty(self) -> bool:
        """True when every article may answer."""
        return self == SearchFilter()

    @cached_property
    def days(self) -> DayRange | None:
        """The dates as the range of ``published_day`` numbers a chunk must fall in (computed once)."""
        if not (self.since or self.until or self.as_of):
            return None
        ends = [day_number(d.isoformat()) for d in (self.until, self.as_of) if d]
        first = day_number(self.since.isoformat()) if self.since else 1 if self.until else 0  # until: dated
        return DayRange(first, min(ends, default=LAST_DAY))

    @classmethod
    def parse(
        cls, given: SearchFilter | Mapping[str, Any] | None, as_of: date | str | None = None
    ) -> SearchFilter:
        """The filter an API caller gave: a ``SearchFilter``, a ``where`` dict or nothing, with ``as_of`` (a
        date or ISO date) overriding its own."""
        f = given if isinstance(given, SearchFilter) else cls.from_where(given)
        return f if as_of is None else replace(f, as_of=as_date(as_of))

    @classmethod
    def from_where(cls, where: Mapping[str, Any] | None) -> SearchFilter:
        """The filter a Chroma-style ``where`` dict names, as LangChain users write it: ``{"source": "Reuters"}``,
        ``{"author": {"$in": [...]}}``, ``{"published": {"$gte": "2023-01-01"}}`` (``$gte``/``$gt``/``$lte``/
        ``$lt``/``$eq`` on ``published``), clauses combined with ``$and``."""
        fields: dict[str, Any] = {}
        for name, condition in _clauses(where or {}):
            if name in ("source", "author"):
                values = (
                    condition.get("$in", condition.get("$eq")) if isinstance(condition, dict) else condition
                )
                if isinstance(condition, dict) and set(condition) - {"$in", "$eq"}:
                    raise QuestionError(_where_help(f"{name} takes $eq or $in, not {sorted(condition)}"))
                if f"{name}s" in fields:  # two clauses on one field would have to intersect: say it once
                    raise QuestionError(
                        _where_help(f"{name} is given twice; give it once, with $in for several")
                    )
                values = [values] if isinstance(values, str) else list(values or [])
                fields[f"{name}s"] = tuple(map(str, values))
            elif name in ("published", "published_day"):
                ops = condition if isinstance(condition, dict) else {"$eq": condition}
                for op, value in ops.items():
                    day = as_date(value)
                    if op in ("$gte", "$eq"):
                        fields["since"] = max(filter(None, (fields.get("since"), day)))
                    if op == "$gt":
                        fields["since"] = max(filter(None, (fields.get("since"), day + timedelta(days=1))))
                    if op in ("$lte", "$eq"):
                        fields["until"] = min(filter(None, (fields.get("until"), day)))
                    if op == "$lt":
                        fields["until"] = min(filter(None, (fields.get("until"), day - timedelta(days=1))))
                    if op not in ("$gte", "$gt", "$lte", "$lt", "$eq"):
                        raise QuestionError(
                            _where_help(f"{name} takes $gte, $gt, $lte, $lt or $eq, not {op}")
                        )
            else:
                raise QuestionError(_where_help(f"articles cannot be filtered by {name!r}"))
        return cls(**fields)


LAST_DAY = 99991231


@dataclass(frozen=True)
class DayRange:
    """Inclusive bounds on a chunk's ``published_day`` (YYYYMMDD; 0 for an undated article)."""

    first: int
    last: int


def _clauses(where: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, condition in where.items():
        if name == "$and":
            for clause in condition:
                yield from _clauses(clause)
        elif name.startswith("$"):
            raise QuestionError(_where_help(f"{name} is not supported (only $and combines clauses)"))
        else:
            yield name, condition


def _where_help(problem: str) -> str:
    return (
        f"Bad filter: {problem}. Filter by source, author or published, e.g. "
        '{"source": "Reuters"}, {"author": {"$in": ["A", "B"]}}, {"published": {"$gte": "2023-01-01"}}.'
    )


def as_date(value: date | str | int) -> date:
    """A date from a ``date``, an ISO date string or a ``published_day`` number (YYYYMMDD)."""
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, int) or str(value).isdigit():
            number = int(value)
            return date(number // 10000, number // 100 % 100, number % 100)
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QuestionError(f"Bad date {value!r}: write it as YYYY-MM-DD, e.g. 2023-01-31.") from None


def matching(values: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The distinct ``values`` that contain any of ``wanted``, case-insensitively ("reuters" finds "Reuters")."""
    needles = [w.strip().lower() for w in wanted if w.strip()]
    return sorted({v for v in values if v and any(n in v.lower() for n in needles)})
