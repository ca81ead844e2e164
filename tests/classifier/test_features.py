import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features import CharNgramVectorizer, WordNgramVectorizer
from classifier.segment import build_segmenter
from classifier.text import feature_text
from classifier.wordcut import DictionaryCutter, hash_strings

TEXTS = ["小区物业费乱收费", "楼下烧烤店噪音扰民", "物业不修电梯", "工地夜间施工噪音", "拖欠工资三个月", "a1区物业费"]


def test_same_numbers_as_sklearn_char_tfidf() -> None:
    ours = CharNgramVectorizer((1, 3), min_df=1).fit(TEXTS)
    theirs = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False).fit(TEXTS)
    assert ours.n_features == len(theirs.vocabulary_)
    unseen = ["物业费涨了，噪音", "完全没见过的字", ""]
    for texts in (TEXTS, unseen):
        a, b = ours.transform(texts).toarray(), theirs.transform(texts).toarray()
        # same values per row (column order differs: sklearn sorts strings, we sort packed codes)
        np.testing.assert_allclose(np.sort(a, axis=1), np.sort(b, axis=1), atol=1e-12)


def test_min_df_and_head_view() -> None:
    vectorizer = CharNgramVectorizer((1, 2), min_df=2).fit(TEXTS)
    assert vectorizer.transform(["烧烤"]).nnz == 0  # seen in one text only
    head = CharNgramVectorizer((1, 1), min_df=1, max_chars=2).fit(TEXTS)
    assert head.n_features == len({ch for t in TEXTS for ch in t[:2]})


def test_batches_larger_than_a_block_match_one_by_one() -> None:
    vectorizer = CharNgramVectorizer((1, 3), min_df=1).fit(TEXTS)
    many = TEXTS * 500
    together = vectorizer.transform(many)
    assert together.shape == (len(many), vectorizer.n_features)
    assert (together[-1] != vectorizer.transform([many[-1]])).nnz == 0


def test_word_block_holds_the_segmenters_words_and_bigrams() -> None:
    cutter = DictionaryCutter.from_segmenter(build_segmenter())
    texts = [feature_text(t) for t in ["小区物业费上涨了", "物业费又上涨", "楼下噪音扰民", "噪音扰民严重"]]
    unigrams = WordNgramVectorizer(cutter, 1, min_df=2).fit(texts)
    # domain words of the project's vocabulary are features whole; a word seen once is not (min_df)
    assert set(hash_strings(["物业费", "上涨", "噪音扰民"]).view(np.int64)) == set(unigrams.vocabulary)
    both = WordNgramVectorizer(cutter, 2, min_df=2).fit(texts)
    bigram = both.vocabulary[~np.isin(both.vocabulary, unigrams.vocabulary)]
    assert len(bigram) == 1  # 物业费 上涨, in two texts
    row = both.transform([feature_text("物业费上涨")]).toarray()[0]
    assert np.count_nonzero(row) == 3 and np.isclose(np.linalg.norm(row), 1.0)
    with pytest.raises(ValueError):
        WordNgramVectorizer(cutter, 3)
