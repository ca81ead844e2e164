import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features import CharNgramVectorizer

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
