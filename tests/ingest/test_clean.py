"""clean_text: whitespace and unicode normalisation, and removal of scraper boilerplate by line rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clean import clean_text, is_boilerplate_line, strip_markdown
from tests.conftest import SHARED_DATA

SEED = SHARED_DATA / "seed" / "000_aa1fd74e13b88e55.txt"
SEED_LAST_SENTENCE = (
    "This warning jolted the Hamas armed wing onto its highest terror alert against suicide attacks, an area "
    "of expertise in which the Palestinian group, one of its progenitors, could ironically teach the younger "
    "Islamic State a thing or two."
)

BODY = "The council approved the budget on Tuesday.\n\nSpending on roads rises by 4 percent next year."

# One or more real leftovers per family, most of them seen in the scraped corpora.
BOILERPLATE = {
    "share": [
        "Print Friendly, PDF & Email",
        "Share this:",
        "Share on Facebook",
        "Tweet",
        "Click to share on Twitter (Opens in new window)",
        "Email this",
        "Pin it",
        "Facebook Twitter LinkedIn WhatsApp Email",
        "5.2k SHARES Facebook Twitter",
        "72k SHARES SHARE THIS STORY",
        "Like this: Like Loading... Related",
    ],
    "subscribe": [
        "Subscribe to our newsletter",
        "Sign up for our daily briefing",
        "Get the latest headlines in your inbox",
        "Stay in the conversation on politics: Sign up for the OnPolitics newsletter",
        "Support local journalism. Subscribe to azcentral.com today.",
        "Would you like to receive The WeekDay newsletter ?",
    ],
    "comments": ["Leave a comment", "Comments", "View comments", "Join the discussion", "Add your comment"],
    "cookies": [
        "We use cookies to improve your experience on our site.",
        "Accept all cookies",
        "This site uses cookies.",
    ],
    "read_more": ["Read more", "Read More", "READ MORE: Latest climate change news", "Continue reading →"],
    "related": [
        "Related:",
        "Related stories",
        "Related Articles",
        "You may also like",
        "Story Continued Below",
    ],
    "ads": [
        "Advertisement",
        "ADVERTISEMENT",
        "Advertisement - story continues below",
        "Skip to content",
        "1. How relevant is this ad to you?",
        "Prices were accurate at the time this article was published but may change over time.",
    ],
    "follow": [
        "Follow us on Twitter",
        "Follow every game: Latest NFL Scores and Schedules",
        "Follow Jordan Mendoza on Twitter: @jordan_mendoza5.",
        "Like us on Facebook.",
    ],
    "copyright": [
        "Copyright © 2023 The Daily Ledger",
        "© 2017 ABC News Internet Ventures",
        "All rights reserved.",
    ],
    "photo_credit": [
        "(Photo: Getty Images)",
        "Photo credit: Jane Smith/Reuters",
        "Featured image via Getty Images/Joe Raedle",
        "Drew Angerer/Getty Images",
    ],
}

REAL_SENTENCES = [
    "The bakery sold 400 cookies on Saturday and said it would share the profits with the food bank.",
    "Cookies set by the app tracked users across sites, the lawsuit says.",
    "Share prices fell 3 percent after the announcement.",
    "Twitter said it would share more data with researchers.",
    "Readers who subscribe to the print edition will get the supplement free.",
    "Comments by the minister drew criticism from the opposition.",
    "Related parties must disclose the transactions, the regulator said.",
    "Advertising revenue rose 12 percent in the quarter.",
    "Photos of the damage were shared widely on social media.",
    "Copyright law experts said the ruling could reach the Supreme Court.",
    "Police asked anyone with information to call the tip line.",
]


def _family_cases() -> list[tuple[str, str]]:
    return [(family, line) for family, lines in BOILERPLATE.items() for line in lines]


@pytest.mark.parametrize(("family", "line"), _family_cases())
def test_each_boilerplate_family_is_removed(family: str, line: str) -> None:
    assert is_boilerplate_line(line), family
    text = f"The council approved the budget on Tuesday.\n\n{line}\n\nSpending on roads rises by 4 percent."
    assert (
        clean_text(text)
        == "The council approved the budget on Tuesday.\n\nSpending on roads rises by 4 percent."
    )


@pytest.mark.parametrize("sentence", REAL_SENTENCES)
def test_real_sentences_mentioning_widget_words_are_kept(sentence: str) -> None:
    assert not is_boilerplate_line(sentence)
    assert clean_text(f"{BODY}\n\n{sentence}") == f"{BODY}\n\n{sentence}"


def test_long_lines_are_never_boilerplate() -> None:
    line = "Share this: " + "the committee met again on Monday and heard from witnesses " * 5
    assert not is_boilerplate_line(line)


def test_seed_article_loses_print_widget_and_keeps_last_sentence() -> None:
    if not SEED.exists():
        pytest.skip(
            f"{SEED} is not present (the evaluation data lives in ../shared/data beside the checkout)"
        )
    raw = SEED.read_text(encoding="utf-8")
    assert raw.rstrip().endswith("Print Friendly, PDF & Email")
    cleaned = clean_text(raw)
    assert "Print Friendly" not in cleaned
    assert cleaned.endswith(SEED_LAST_SENTENCE)
    assert cleaned.startswith("Hamas Itself under Suicide Terror Threat")


def test_trailing_widget_glued_to_last_paragraph_is_removed() -> None:
    for tail in ("Print Friendly, PDF & Email", " Share this: Facebook Twitter", "Facebook Twitter Email"):
        assert clean_text(f"{BODY}\n\n{SEED_LAST_SENTENCE}{tail}") == f"{BODY}\n\n{SEED_LAST_SENTENCE}"


def test_trailing_stack_of_widgets_and_dangling_label_is_removed() -> None:
    text = f"{BODY}\n\nShare this:\n\nTwitter\nFacebook\n\nLike this:\n\nRelated\n\nAuthors:\n"
    assert clean_text(text) == BODY


def test_paragraphs_are_kept_and_whitespace_normalised() -> None:
    text = (
        "\ufeff  First\u00a0paragraph   line one.\r\n\tline two\u200b.  \r\n\r\n\r\n\r\n"
        "Second paragraph.\n \n\n\nThird\u2009paragraph."
    )
    assert clean_text(text) == "First paragraph line one.\nline two.\n\nSecond paragraph.\n\nThird paragraph."


def test_unicode_is_nfc() -> None:
    assert clean_text("Cafe\u0301 owners protested.") == "Caf\u00e9 owners protested."


def test_line_repeated_three_times_is_collapsed_but_two_are_kept() -> None:
    assert clean_text("Breaking news\nBreaking news\nBreaking news\n\nBody.") == "Breaking news\n\nBody."
    assert clean_text("Yes.\n\nYes.\n\nBody.") == "Yes.\n\nYes.\n\nBody."


def test_empty_and_all_boilerplate_text_cleans_to_empty() -> None:
    assert clean_text("") == ""
    assert clean_text("  \n\n\t ") == ""
    assert clean_text("Advertisement\n\nShare this:\nFacebook\nTwitter\n\nRead more") == ""


def test_cleaning_is_idempotent_on_a_messy_page() -> None:
    messy = "\n".join(line for _, line in _family_cases()) + f"\n\n{BODY}\n\n" + "\n".join(REAL_SENTENCES)
    once = clean_text(messy)
    assert clean_text(once) == once
    assert once == f"{BODY}\n\n" + "\n".join(REAL_SENTENCES)


_PIECES = st.sampled_from(
    [line for _, line in _family_cases()]
    + REAL_SENTENCES
    + [
        "",
        " ",
        "\t",
        "Authors:",
        "a thing or two.",
        "Print Friendly, PDF & Email",
        "x\u00a0y",
        "\u200b",
        "Same",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25), st.sampled_from(["\n", "\n\n", "\r\n", " ", ""]))
def test_cleaning_is_idempotent(pieces: list[str], joiner: str) -> None:
    once = clean_text(joiner.join(pieces))
    assert clean_text(once) == once
    assert "\n\n\n" not in once and once == once.strip()


def test_strip_markdown_keeps_readable_text() -> None:
    markdown = (
        "# Rates rise again\n\n"
        "The **central bank** raised rates, *its fifth increase*, said [the governor](https://x.test/g).\n\n"
        "![chart](chart.png)\n\n"
        "> A quote from the statement.\n\n"
        "* first point\n* second point\n\n"
        "Use `snake_case_names` and keep_underscores_in_words.\n"
    )
    assert clean_text(strip_markdown(markdown)) == (
        "Rates rise again\n\nThe central bank raised rates, its fifth increase, said the governor.\n\n"
        "A quote from the statement.\n\n- first point\n- second point\n\n"
        "Use snake_case_names and keep_underscores_in_words."
    )
