"""DictionaryCutter: the Segmenter's words, computed in numpy for the category model."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from classifier.bootstrap import read_bootstrap
from classifier.segment import Segmenter, build_segmenter
from classifier.text import feature_text
from classifier.wordcut import DictionaryCutter, hash_strings, window_hashes

# Where jieba's own rules bite: ASCII runs joined, characters outside its blocks, long dictionary
# words, masked numbers, stop words, full-width digits (NFKC), empty and blank texts.
TRICKY = [
    "",
    "   ",
    "a3区b市123号3楼",
    "中华人民共和国全国人民代表大会",
    "c++和.net都不会",
    "我的电话13812345678，身份证430102199003071234",
    "１２３４５号楼",
    "㐀㐁好的……",
    "物业费乱收费，私搭乱建，噪音扰民",
    "--- +++ 100% ###",
    "ÀÉ 法语字母",
]


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return build_segmenter()


@pytest.fixture(scope="module")
def cutter(segmenter: Segmenter) -> DictionaryCutter:
    return DictionaryCutter.from_segmenter(segmenter)


def test_the_same_words_as_the_segmenter(segmenter: Segmenter, cutter: DictionaryCutter) -> None:
    """Equal everywhere except where two segmentations score exactly the same (咚咚咚: 咚咚+咚 or
    咚+咚咚), which jieba settles by the rounding of a sum that starts at the end of the block."""
    freq, _, _ = segmenter.dictionary()
    texts, _ = read_bootstrap()
    prepared = [feature_text(t) for t in texts] + [feature_text(t) for t in TRICKY] + TRICKY
    ties = 0
    for got, want in zip(cutter.words(prepared), [segmenter.words(t) for t in prepared], strict=True):
        if got == want:
            continue
        first = next(i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b)
        same_end = next(i for i, (a, b) in enumerate(zip(got[::-1], want[::-1], strict=False)) if a != b)
        ours, jiebas = got[first : len(got) - same_end], want[first : len(want) - same_end]
        assert "".join(ours) == "".join(jiebas)
        score = [sum(math.log(freq.get(w) or 1) for w in words) for words in (ours, jiebas)]
        assert math.isclose(*score, abs_tol=1e-9), (ours, jiebas)
        ties += 1
    assert ties <= 3
    # one at a time, as a single ticket is predicted
    for text in prepared[:50] + TRICKY:
        assert cutter.words([text]) == [segmenter.words(text)]


def test_one_texts_route_in_python_is_the_array_routes(cutter: DictionaryCutter, monkeypatch) -> None:
    """Short inputs (a ticket at intake) take the route in plain Python: the same words as the array programme
    that batches take, text by text and for a few texts at once."""
    from classifier import wordcut

    texts, _ = read_bootstrap()
    prepared = [feature_text(t) for t in texts[:400]] + [feature_text(t) for t in TRICKY] + TRICKY
    assert len(prepared[0]) < wordcut._SMALL_ROUTE  # the Python route is the one taken by default
    small = [cutter.words([t]) for t in prepared] + [cutter.words(prepared[i : i + 3]) for i in range(0, 60, 3)]
    monkeypatch.setattr(wordcut, "_SMALL_ROUTE", -1)
    arrays = [cutter.words([t]) for t in prepared] + [cutter.words(prepared[i : i + 3]) for i in range(0, 60, 3)]
    assert small == arrays


def test_words_drop_stop_words_punctuation_and_placeholders(cutter: DictionaryCutter) -> None:
    words = cutter.words([feature_text("您好，我们小区的物业费太贵了！电话13812345678")])[0]
    assert "物业费" in words
    assert not {"您好", "的", "了", "我们", "phone", "，", "！"} & set(words)


def test_a_snapshot_ignores_words_learnt_later() -> None:
    segmenter = Segmenter()
    before = DictionaryCutter.from_segmenter(segmenter)
    segmenter.add_words(["柳岸社区"])
    after = DictionaryCutter.from_segmenter(segmenter)
    assert "柳岸社区" not in before.words(["柳岸社区停水了"])[0]
    assert after.words(["柳岸社区停水了"])[0][0] == "柳岸社区"


def test_pickled_cutter_cuts_the_same(cutter: DictionaryCutter) -> None:
    texts = [feature_text(t) for t in read_bootstrap()[0][:300]]
    loaded = pickle.loads(pickle.dumps(cutter))
    for a, b in zip(loaded.token_hashes(texts), cutter.token_hashes(texts), strict=True):
        np.testing.assert_array_equal(a, b)


def test_word_bigrams_stay_inside_one_text(cutter: DictionaryCutter) -> None:
    texts = ["小区物业费上涨", "噪音扰民"]
    unigrams, _ = cutter.token_hashes(texts)
    codes, code_docs = cutter.ngram_codes(texts, 2)
    words = cutter.words(texts)
    n_bigrams = sum(len(w) - 1 for w in words)
    assert len(codes) == len(unigrams) + n_bigrams
    np.testing.assert_array_equal(codes[: len(unigrams)], unigrams.view(np.int64))
    np.testing.assert_array_equal(np.bincount(code_docs), [2 * len(w) - 1 for w in words])
    assert np.array_equal(cutter.ngram_codes(texts, 1)[0], unigrams.view(np.int64))


def test_substring_hashes_agree_with_whole_string_hashes() -> None:
    hashes, docs = window_hashes(["abcdef", "xy", "物业费"], 3)
    expected = hash_strings(["abc", "bcd", "cde", "def", "物业费"])
    np.testing.assert_array_equal(hashes, expected)
    assert docs.tolist() == [0, 0, 0, 0, 2]
    assert len(set(hash_strings(["物业", "物业费", "业费", "a", "aa"]).tolist())) == 5


def test_overlong_dictionary_words_are_refused() -> None:
    with pytest.raises(ValueError, match="longer than"):
        DictionaryCutter({"字" * 65: 3, "字": 5}, 8)
