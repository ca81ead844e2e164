import jieba

from classifier.segment import Segmenter, default_segmenter


def test_the_default_segmenter_is_built_once_per_process() -> None:
    assert default_segmenter() is default_segmenter()


def test_domain_terms_stay_whole_and_stop_words_go() -> None:
    words = default_segmenter().cut("您好，我们小区的物业费太贵了，还有人私搭乱建。")
    assert "物业费" in words
    assert "私搭乱建" in words
    assert not {"您好", "的", "了", "我们", "，", "。"} & set(words)
    assert "的" in default_segmenter().cut("小区的物业费", keep_stopwords=True)


def test_user_words_keep_place_names_whole_in_this_segmenter_only() -> None:
    segmenter = Segmenter()
    assert "柳岸社区" not in segmenter.cut("柳岸社区停水了")
    assert segmenter.add_words(["柳岸社区", "翠湖苑", "柳岸社区", " "]) == 2
    assert segmenter.add_words(["柳岸社区"]) == 0
    assert segmenter.cut("柳岸社区停水了")[0] == "柳岸社区"
    assert "翠湖苑" in segmenter.cut("我住翠湖苑三栋")
    # neither jieba's global tokenizer nor another segmenter learnt the word
    assert "柳岸社区" not in jieba.lcut("柳岸社区停水了")
    assert "柳岸社区" not in Segmenter().cut("柳岸社区停水了")


def test_personal_numbers_never_become_words() -> None:
    assert default_segmenter().cut("我的电话13812345678，身份证430102199003071234") == ["电话", "身份证"]


def test_search_words_hold_the_parts_of_long_words_and_a_query_asks_for_the_parts() -> None:
    segmenter = default_segmenter()
    indexed = set(segmenter.search_words("烧烤摊油烟扰民，电话13812345678"))
    assert {"烧烤", "油烟", "扰民", "油烟扰民"} <= indexed
    assert not any(ch.isdigit() for word in indexed for ch in word)  # numbers are masked before the cut
    assert segmenter.query_words("烧烤油烟") == ["烧烤", "油烟"]
    assert segmenter.query_words("噪音扰民") == ["噪音", "扰民"]  # not the whole word: 噪音很大很扰民 matches too
    assert set(segmenter.query_words("烧烤油烟")) <= indexed
