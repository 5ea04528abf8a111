"""Claims checked against the archive (``Assistant.check``): real Chroma, real embeddings, the committed claim
checker. The sample corpus, plus two reports of successive central bank decisions six weeks apart."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.archive_check import MAX_CLAIMS, ArchiveChecker, claims_of
from assistant.factory import build_assistant
from core.article import Article
from core.errors import QuestionError
from core.settings import Settings
from ingest.collection import open_index
from ingest.load import load_articles
from tests.conftest import SAMPLE_ARTICLES

DEC = Article(
    id="fed-dec",
    title="Fed raises rates by half a point",
    source="Reuters",
    published="2022-12-14",
    text="The Federal Reserve raised its key interest rate by half a percentage point on Wednesday, to a range of "
    "4.25% to 4.5%, the highest level in 15 years. Fed officials signaled more increases ahead. Chair Jerome "
    "Powell said the fight against inflation was not over.",
)
FEB = Article(
    id="fed-feb",
    title="Fed slows its rate increases",
    source="AP",
    published="2023-02-01",
    text="The Federal Reserve raised its key interest rate by a quarter of a percentage point on Wednesday, to a "
    "range of 4.5% to 4.75%. It was the smallest increase since March as inflation eased. Chair Jerome Powell "
    "said further increases were likely.",
)
TRUE = "The Bank of Kestria raised its main refinancing rate to 7.25 percent."
CHANGED = "The Bank of Kestria raised its main refinancing rate to 8.25 percent."
NEVER = "The city of Oslo opened a new opera house on its waterfront in 2008."
FEB_RANGE = "The Federal Reserve raised its key interest rate to a range of 4.5% to 4.75%."


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("check-data"), collection="check", llm="extractive")
    index = open_index(settings)
    report = index.ingest([*load_articles([SAMPLE_ARTICLES]), DEC, FEB])
    assert not report.errors, report.errors
    return build_assistant(settings, index)


def test_a_true_claim_is_supported_by_its_report_with_the_span_quoted(assistant):
    result = assistant.check(TRUE)
    assert result.label == "supported" and result.checker == "model" and result.score >= 0.5
    best = result.spans[0]
    passage = result.passages[best.text]
    assert best.verdict == "supports" and "7.25 percent" in best.quote
    assert passage.source == "Kestrian Financial Observer" and passage.published == "2023-06-22"
    assert passage.text[best.start - passage.start : best.end - passage.start] == best.quote
    assert result.notes[0].startswith("Supported by the report of 22 Jun 2023 (Kestrian Financial Observer)")
    reports = {result.passages[s.text].article_id for s in result.spans}
    assert len(reports) == len(result.spans)  # a report once


def test_a_changed_figure_is_contradicted_and_the_report_gives_its_own(assistant):
    result = assistant.check(CHANGED)
    assert result.label == "contradicted", result
    assert "7.25 percent" in result.spans[0].quote and result.spans[0].verdict == "contradicts"
    assert "which gave 7.25 percent" in result.notes[0]


def test_a_claim_the_archive_never_mentions_is_not_found_never_contradicted(assistant):
    for claim in (NEVER, "The Oslo opera house cost 500 million kroner to build, 20 percent over budget."):
        result = assistant.check(claim)
        assert result.label == "not_found", result
        assert not any(s.verdict == "contradicts" for s in result.spans)


def test_two_reports_that_disagree_the_latest_as_of_the_date_leads_and_the_earlier_is_noted(assistant):
    after_both = assistant.check(FEB_RANGE, as_of="2023-02-03")
    assert after_both.label == "supported"
    assert [(assistant_source(after_both, s), s.verdict) for s in after_both.spans] == [
        ("AP", "supports"),
        ("Reuters", "contradicts"),
    ]
    assert after_both.notes[0] == (
        "Supported by the report of 1 Feb 2023 (AP); the report of 14 Dec 2022 (Reuters) gave 4.25% to 4.5%."
    )
    before_feb = assistant.check(FEB_RANGE, as_of=date(2022, 12, 20))  # the later report is not yet written
    assert before_feb.label == "contradicted"
    assert all(assistant_source(before_feb, s) == "Reuters" for s in before_feb.spans)
    half = assistant.check(
        "The Federal Reserve raised its key interest rate by half a percentage point, to 4.25% to 4.5%.",
        as_of="2023-02-03",
    )
    assert half.label == "contradicted"
    assert half.notes[0] == (
        "Contradicted by the report of 1 Feb 2023 (AP), which gave 4.5% to 4.75%; the report of 14 Dec 2022 "
        "(Reuters) supported it."
    )


def assistant_source(check, span) -> str:
    return check.passages[span.text].source


def test_a_paragraph_is_checked_sentence_by_sentence_and_a_filter_narrows_the_archive(assistant):
    checks = assistant.check_text(f"{TRUE} {CHANGED}\n\nThanks. {NEVER}")
    assert [c.label for c in checks] == ["supported", "contradicted", "not_found"]  # "Thanks." is no claim
    only_ap = assistant.check_text(TRUE, filter={"source": "AP"})
    assert only_ap[0].label == "not_found"


def test_claims_run_as_a_runnable_batch(assistant):
    results = assistant.checker.batch([TRUE, {"claim": FEB_RANGE, "as_of": "2022-12-20"}])
    assert [r.label for r in results] == ["supported", "contradicted"]
    assert assistant.checker.invoke(NEVER).label == "not_found"


def test_without_the_model_the_words_never_say_contradicted(assistant):
    words = ArchiveChecker(assistant.retriever, None)
    true, changed = words.check([TRUE, CHANGED])
    assert true.label == "supported" and true.checker == "words"
    # the words cannot tell a report that states otherwise: the changed figure is not found, never contradicted
    assert changed.label == "not_found" and changed.checker == "words"


def test_bad_input_is_refused_with_what_to_do(assistant):
    with pytest.raises(QuestionError, match="empty"):
        assistant.check_text("   \n ")
    with pytest.raises(QuestionError, match="empty"):
        assistant.check("")
    with pytest.raises(QuestionError, match=f"201 sentences; check at most {MAX_CLAIMS}"):
        claims_of(" ".join(f"The harbour board met on day {n} of the month." for n in range(201)))
    with pytest.raises(QuestionError, match="binary"):
        claims_of("%PDF-1.7\x00\x01\x02 stream")
    with pytest.raises(QuestionError, match="no sentence to check"):
        claims_of("Thanks. OK.")
