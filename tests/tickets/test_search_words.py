"""The words a ticket is found by are the same whether one ticket is indexed at intake (jieba) or many at once
by an import or the backfill (the numpy cut of classifier/wordcut.py): else a search would find a ticket taken
by phone and miss the same text imported."""

from __future__ import annotations

import csv

from classifier.segment import default_segmenter
from hotline.tickets.search_index import BatchIndexer, index_tokens
from tests.support.services import ROOT

CORPUS = ROOT / "classifier" / "bootstrap" / "corpus.csv"


def test_a_batch_indexes_every_text_as_one_at_a_time_does() -> None:
    with CORPUS.open(encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    texts += ["柳岸花园北门的烧烤摊油烟扰民，回电13812345678。", "ABC小区 Wi-Fi 坏了！！", ""]
    segmenter = default_segmenter()
    assert BatchIndexer(segmenter).tokens(texts) == [index_tokens(segmenter, t) for t in texts]
