"""Timelines and briefs over real Chroma and real embeddings: a rate that changes twice, one event reported by
three outlets, a topic holding two unrelated stories, a window with nothing in it, and bad dates."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.event_dates import event_date
from assistant.factory import build_assistant
from assistant.timeline import value_of
from core.article import Article
from core.errors import QuestionError
from core.figures import figures
from core.settings import Settings
from ingest.collection import open_index
from ingest.load import load_articles
from tests.conftest import SAMPLE_ARTICLES


def article(aid: str, source: str, published: str, title: str, text: str) -> Article:
    return Article(id=aid, title=title, source=source, published=published, text=text)


RATES = [
    article("tarn-1", "Tarn Ledger", "2023-01-11", "Bank of Tarn raises its rate",
            "The Bank of Tarn raised its policy interest rate to 3.5% on Tuesday, its first increase in a decade. "
            "Governor Mila Orsen said inflation had become entrenched."),
    article("tarn-2", "Tarn Ledger", "2023-02-15", "Bank of Tarn lifts rate again",
            "The Bank of Tarn raised its policy interest rate to 4% on Tuesday as prices kept climbing. "
            "Governor Mila Orsen said more increases could follow."),
    article("tarn-3", "Eastern Wire", "2023-03-22", "Bank of Tarn slows its increases",
            "The Bank of Tarn raised its policy interest rate to 4.25% on Tuesday, a smaller step than before. "
            "Governor Mila Orsen said inflation was easing."),
]  # fmt: skip
BRIDGE = [
    article("bridge-1", "Lenmark Herald", "2023-02-20", "Lenmark harbour bridge shut after crack found",
            "Engineers closed the Lenmark harbour bridge on Monday after inspectors found a crack in its main "
            "steel girder. Ferries will carry commuters across the harbour."),
    article("bridge-2", "Coastline News", "2023-02-20", "Crack closes Lenmark bridge",
            "The Lenmark harbour bridge was closed on Monday when inspectors found a crack in a main steel girder, "
            "officials said. Repairs could take months."),
    article("bridge-3", "Northern Wire", "2023-02-21", "Commuters stranded as Lenmark bridge closes",
            "Inspectors found a crack in the main steel girder of the Lenmark harbour bridge, which was closed on "
            "Monday. Commuters queued for ferries."),
]  # fmt: skip
MERCURY = [
    article("probe-1", "Space Desk", "2023-01-05", "BepiColombo probe flies past Mercury",
            "The BepiColombo spacecraft flew past the planet Mercury on Wednesday, photographing its cratered "
            "surface. Scientists at ESA said the flyby went as planned."),
    article("probe-2", "Space Desk", "2023-03-02", "BepiColombo makes another Mercury pass",
            "The BepiColombo spacecraft made another pass of the planet Mercury on Thursday, measuring its "
            "magnetic field. ESA said the probe is healthy."),
    article("label-1", "Music Weekly", "2023-01-18", "Mercury Records signs Lavena Cruz",
            "Mercury Records signed singer Lavena Cruz to a three-album deal on Monday. Her debut album will be "
            "released in Osterby in the spring."),
    article("label-2", "Music Weekly", "2023-03-10", "Lavena Cruz album tops the Osterby chart",
            "Singer Lavena Cruz topped the Osterby album chart with her Mercury Records debut this week, "
            "selling 40,000 copies in Osterby."),
]  # fmt: skip


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embeddings):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("timeline-data"), collection="news", llm="extractive"
    )
    index = open_index(settings)
    report = index.ingest([*load_articles([SAMPLE_ARTICLES]), *RATES, *BRIDGE, *MERCURY])
    assert not report.errors, report.errors
    return build_assistant(settings, index)


def test_a_rate_that_changes_twice_is_told_in_date_order_with_each_change_cited_on_both_sides(assistant):
    t = assistant.timeline("Bank of Tarn policy interest rate")
    tarn = [e for e in t.events if "Tarn" in e.sentence]
    assert [e.date for e in tarn] == [
        "2023-01-10",
        "2023-02-14",
        "2023-03-21",
    ]  # "on Tuesday": the day before
    assert all(e.dated_by == "text" for e in tarn)
    assert [e.value for e in tarn] == ["3.5%", "4%", "4.25%"]
    changes = [c.text for c in t.changes]
    n = [e.citations[0].n for e in tarn]
    assert changes == [
        f"4% on 14 Feb 2023 [{n[1]}], after 3.5% on 10 Jan 2023 [{n[0]}]",
        f"4.25% on 21 Mar 2023 [{n[2]}], after 4% on 14 Feb 2023 [{n[1]}]",
    ]
    assert t.model_calls == 0 and all(e.written_by == "extract" for e in t.events)
    for e in tarn:  # the sentence is its first report's own words, at the cited offsets
        c = e.citations[0]
        assert c.passage.text[c.start - c.passage.start : c.end - c.passage.start] == c.quote == e.sentence


def test_one_event_reported_by_three_outlets_is_one_event_citing_all_three(assistant):
    t = assistant.timeline("Lenmark harbour bridge closed")
    bridge = [e for e in t.events if "bridge" in e.sentence.lower()]
    assert len(bridge) == 1, [e.sentence for e in t.events]
    assert bridge[0].date == "2023-02-20"
    assert sorted(bridge[0].sources) == ["Coastline News", "Lenmark Herald", "Northern Wire"]


def test_a_topic_holding_two_unrelated_stories_is_split_into_them(assistant):
    t = assistant.timeline("Mercury")
    assert len(t.stories) == 2, (t.stories, [(e.story, e.sentence) for e in t.events])
    by_story = {e.story: set() for e in t.events}
    for e in t.events:
        by_story[e.story].add("probe" if "BepiColombo" in e.sentence else "label")
    assert sorted(map(sorted, by_story.values())) == [["label"], ["probe"]]


def test_a_window_with_nothing_in_it_says_so(assistant):
    t = assistant.timeline("Bank of Tarn policy interest rate", filter={"published": {"$gte": "2024-01-01"}})
    assert t.events == () and "Nothing in the articles" in t.notes[0]


def test_a_brief_gives_what_is_new_since_a_date_latest_first_and_what_it_changed(assistant):
    b = assistant.brief("Bank of Tarn policy interest rate", since="2023-02-01", as_of="2023-03-31")
    tarn = [e for e in b.new if "Tarn" in e.sentence]
    assert [e.date for e in tarn] == ["2023-03-21", "2023-02-14"]
    n = {e.date: e.citations[0].n for e in b.new}
    changes = [c for c in b.changed if "Tarn" in c.after.sentence]
    assert [c.text for c in changes] == [
        f"4.25% on 21 Mar 2023 [{n['2023-03-21']}], after 4% on 14 Feb 2023 [{n['2023-02-14']}]",  # a new one
        f"4% on 14 Feb 2023 [{n['2023-02-14']}], after 3.5% on 10 Jan 2023 [{changes[1].before.citations[0].n}]",
    ]
    weeks = assistant.brief("Bank of Tarn policy interest rate", since="last week", as_of="2023-02-17")
    assert weeks.since == "2023-02-03" and [e.date for e in weeks.new if "Tarn" in e.sentence] == [
        "2023-02-14"
    ]
    later = assistant.brief("Bank of Tarn policy interest rate", since="2023-04-01", as_of="2023-05-01")
    assert later.new == () and "Nothing new" in later.notes[0]


def test_bad_dates_and_topics_are_refused_with_what_to_write(assistant):
    with pytest.raises(QuestionError, match="not a date"):
        assistant.brief("Bank of Tarn", since="the other day", as_of="2023-03-31")
    with pytest.raises(QuestionError, match="after the as-of date"):
        assistant.brief("Bank of Tarn", since="2023-05-01", as_of="2023-03-31")
    with pytest.raises(QuestionError, match="topic is empty"):
        assistant.timeline("  ")
    with pytest.raises(QuestionError, match="between 1 and 100"):
        assistant.timeline("Bank of Tarn", max_events=0)


def test_the_date_a_sentence_gives_for_its_event():
    published = date(2023, 1, 12)  # a Thursday
    assert event_date("The board met on Tuesday.", published) == (date(2023, 1, 10), "text")
    assert event_date("It was announced Dec. 14 in a statement.", published) == (date(2022, 12, 14), "text")
    assert event_date("The vote on 9 January 2023 passed.", published) == (date(2023, 1, 9), "text")
    assert event_date("Talks resume on March 22.", published) == (published, "report")  # after the report
    assert event_date("The firm was founded on May 3, 1999.", published) == (
        published,
        "report",
    )  # background
    assert event_date("Prices rose sharply.", published) == (published, "report")


def test_a_day_to_come_is_not_the_day_of_the_event_and_last_friday_is_a_week_back():
    friday = date(2023, 1, 6)
    assert event_date("The House adjourned until Monday after the 14th ballot.", friday) == (friday, "report")
    assert event_date("The vote is set for next Tuesday.", friday) == (friday, "report")
    assert event_date("The team will play on Saturday.", friday) == (friday, "report")
    assert event_date("Payment is due by Jan. 2.", friday) == (friday, "report")
    assert event_date("The House voted Tuesday.", friday) == (date(2023, 1, 3), "text")
    assert event_date("The bridge closed last Saturday.", friday) == (date(2022, 12, 31), "text")
    assert event_date("It happened last Friday.", friday) == (date(2022, 12, 30), "text")


def test_figures_are_read_as_an_analyst_reads_them():
    assert figures("The rate rose to 5 percent from 4 percent, then to 4.25% to 4.5%.") == [
        "5 percent",
        "4 percent",
        "4.25% to 4.5%",
    ]
    assert value_of("Voting ended on March 22 after 15 rounds.") == "15 rounds"
    assert value_of("Officials said 12 were hurt.") == ""  # "were" counts nothing


class _Writer:
    """A chat model at the boundary: writes the given sentences in turn (or fails), counting its calls."""

    def __init__(self, *replies: str, fail: bool = False) -> None:
        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        self.model = GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))
        self.fail = fail

    def bind(self, **_: object) -> _Writer:
        return self

    def invoke(self, messages: object) -> object:
        if self.fail:
            raise ConnectionError("the model server went away")
        return self.model.invoke(messages)  # type: ignore[arg-type]


def test_a_models_sentence_is_shown_only_when_a_report_states_it_and_a_failure_keeps_the_reports_words(
    assistant,
):
    from assistant.timeline import build_timeline
    from core.filters import SearchFilter

    window = SearchFilter(sources=("Tarn Ledger", "Eastern Wire"))
    stated = "The Bank of Tarn raised its policy interest rate to 3.5% on Tuesday."
    invented = "The Bank of Tarn cut its policy interest rate to 1% after a banking crisis."
    writer = _Writer(stated, invented, invented)
    t = build_timeline("Bank of Tarn policy interest rate", assistant.retriever, window, llm=writer,  # type: ignore[arg-type]
                       reader=assistant.checker.reader)  # fmt: skip
    assert t.model_calls == 3  # one an event, at most MODEL_EVENTS
    assert [e.written_by for e in t.events] == ["model", "extract", "extract"]
    assert t.events[0].sentence == stated and "1%" not in " ".join(e.sentence for e in t.events)
    failed = build_timeline("Bank of Tarn policy interest rate", assistant.retriever, window,
                            llm=_Writer(fail=True), reader=assistant.checker.reader)  # type: ignore[arg-type]  # fmt: skip
    assert [e.written_by for e in failed.events] == ["extract"] * 3
