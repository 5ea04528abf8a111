from hypothesis import given
from hypothesis import strategies as st

from core.article import Article
from core.sentences import split_sentences
from ingest.chunk import split_article

TEXT = (
    "Maj. Gen. Khaled Fawzy met Ismail Haniyeh in Cairo. They talked for most of the week!\n\n"
    "Mr. Haniyeh returned to Gaza City on Jan. 23. Hamas froze its arms supplies to the U.S.-listed group. "
    "Hundreds of collaborators were arrested."
)


def test_sentences_do_not_split_at_abbreviations_or_initials():
    sentences = [TEXT[s.start : s.end] for s in split_sentences(TEXT)]
    assert sentences == [
        "Maj. Gen. Khaled Fawzy met Ismail Haniyeh in Cairo.",
        "They talked for most of the week!",
        "Mr. Haniyeh returned to Gaza City on Jan. 23.",
        "Hamas froze its arms supplies to the U.S.-listed group.",
        "Hundreds of collaborators were arrested.",
    ]


def test_chunks_are_exact_slices_with_whole_sentences_and_overlap():
    article = Article(id="a1", title="T", text=TEXT)
    chunks = split_article(article, chunk_size=110, overlap=1)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text == TEXT[chunk.start : chunk.end]
        assert chunk.text[-1] in ".!"  # ends on a sentence boundary
    assert chunks[1].start < chunks[0].end  # one sentence of overlap
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_chunk_ids_are_stable_across_runs():
    article = Article(id="a1", title="T", text=TEXT)
    assert [c.id for c in split_article(article, 110)] == [c.id for c in split_article(article, 110)]
    assert split_article(article, 110)[0].id == "a1-0000"


def test_a_sentence_longer_than_the_chunk_is_cut_at_words():
    text = "word " * 200 + "end."
    chunks = split_article(Article(id="x", title="", text=text.strip()), chunk_size=100, overlap=0)
    assert all(len(c.text) <= 100 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()


@given(st.text(alphabet=st.sampled_from("ab. \nXY!?"), max_size=400), st.integers(20, 200), st.integers(0, 2))
def test_chunks_cover_every_sentence_and_slice_exactly(text, size, overlap):
    article = Article(id="h", title="", text=text)
    chunks = split_article(article, size, overlap)
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for s in split_sentences(text):
        assert s.start in covered and s.end - 1 in covered
