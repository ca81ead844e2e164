"""Classifier benchmark: our model against the character-only model and the plain jieba + TF-IDF +
LinearSVC baseline, in one run; then the bootstrap (starting) model on real messages, by level 1.

    python bench/classify.py                       # train_seg.csv -> temp dir, evaluated on dev_raw.csv
    python bench/classify.py --data FILE.csv --model DIR [--eval FILE.csv]
    python bench/classify.py --select               # the model selection table of docs/classifier.md

All three models are trained on the same CSV (text,label) and scored on the same raw texts; the
baseline gets the training texts with their spaces removed (see ``without_spaces``). The process
is pinned to one core. Throughput = texts per second through the whole predict path (ours includes
normalisation and word segmentation; the baseline includes jieba), median of --repeat runs over the
evaluation texts in one batch. Latency = one ``predict_one`` call per evaluation text. Peak memory =
tracemalloc peak of a batch prediction (a separate pass: tracemalloc slows the code it watches), and
the process's max RSS.

The bootstrap model is ``train_default_model`` (classifier/bootstrap, the model a new city starts
with), scored on the evaluation texts after mapping its leaf categories to their level-1 class
(categories.csv); ``bootstrap_copied_rows`` counts corpus rows sharing a 20-character stretch
(normalised) with the training or evaluation data, which must be 0: the corpus is written by hand.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.artifact import MODEL_FILE, load_model, save_model  # noqa: E402
from classifier.bootstrap import read_categories, read_corpus, train_default_model  # noqa: E402
from classifier.calibration import expected_calibration_error  # noqa: E402
from classifier.cli import read_labelled_csv  # noqa: E402
from classifier.evaluate import evaluate  # noqa: E402
from classifier.model import CHAR_ONLY, FeatureConfig, TextClassifier, train_model  # noqa: E402
from classifier.similarity import shared_window_rows  # noqa: E402
from classifier.text import feature_text  # noqa: E402

# ../shared beside the checkout; a git worktree under ../wt/ finds it one level further up
SHARED = next(
    (p / "shared" / "data" / "teddy2020c" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared" / "data" / "teddy2020c",
)


def pin_to_one_core() -> int:
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_traced_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def baseline_pipeline() -> Pipeline:
    """The plain baseline, defaults everywhere: jieba words, TF-IDF, LinearSVC."""
    return make_pipeline(TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None), LinearSVC())


def without_spaces(texts: Sequence[str]) -> list[str]:
    """Pre-segmented training text as raw text. Fed with its spaces, jieba makes a " " token per gap,
    which then outweighs every word in the training vectors (measured: macro-F1 0.60 on dev_raw)."""
    return ["".join(t.split()) for t in texts]


def percentile_ms(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


# Candidates compared by 5-fold cross-validation on the training data (the choice) and on the
# evaluation data (a confirmation only): (name, config). The default FeatureConfig is the choice.
CANDIDATES = [
    ("char 1-3 + head, balanced (char-only)", CHAR_ONLY),
    ("char 1-3 + head, C=2", FeatureConfig(word_weight=0.0, C=2.0)),
    ("+ words x0.3", FeatureConfig(word_weight=0.3)),
    ("+ words x0.5", FeatureConfig(word_weight=0.5)),
    ("+ words x0.7 (default)", FeatureConfig()),
    ("+ words x1.0", FeatureConfig(word_weight=1.0)),
    ("+ words & word bigrams x0.5", FeatureConfig(word_weight=0.5, word_ngrams=2)),
    ("+ words & word bigrams x0.7", FeatureConfig(word_ngrams=2)),
    ("+ words x0.5, no head", FeatureConfig(word_weight=0.5, head_weight=0.0)),
    ("+ words x0.5, C=0.5", FeatureConfig(word_weight=0.5, C=0.5)),
    ("+ words x0.5, C=2", FeatureConfig(word_weight=0.5, C=2.0)),
]


def select(train_texts: list[str], train_labels: list[str], eval_texts: list[str], eval_labels: list[str]) -> None:
    rows = []
    for name, config in CANDIDATES:
        model = train_model(train_texts, train_labels, config=config)
        cv = model.metadata["metrics"]["cv"]
        predicted = [p.label for p in model.predict_batch(eval_texts)]
        rows.append(
            {
                "candidate": name,
                "cv_macro_f1": cv["macro_f1"],
                "eval_macro_f1": round(evaluate(eval_labels, predicted, model.labels).macro_f1, 4),
            }
        )
        print(
            f"{name:40}  cv macro-F1 {cv['macro_f1']:.4f}   eval macro-F1 {rows[-1]['eval_macro_f1']:.4f}", flush=True
        )
    print(json.dumps({"bench": "classify-select", "rows": rows}, ensure_ascii=False))


def measure(model: TextClassifier, eval_texts: list[str], repeat: int) -> dict[str, float]:
    """Batch throughput (median of ``repeat``), single-ticket latencies, peak traced memory."""
    model.predict_batch(eval_texts[:10])  # first-call imports and caches
    batch_s = timed(lambda: model.predict_batch(eval_texts), repeat)
    latencies = []
    for text in eval_texts:
        started = time.perf_counter()
        model.predict_one(text)
        latencies.append(time.perf_counter() - started)
    return {
        "per_s": round(len(eval_texts) / batch_s, 1),
        "p50_ms": round(percentile_ms(latencies, 50), 3),
        "p99_ms": round(percentile_ms(latencies, 99), 3),
        "peak_traced_mib": round(peak_traced_mib(lambda: model.predict_batch(eval_texts)), 1),
    }


def train_saved(
    texts: list[str], labels: list[str], config: FeatureConfig, directory: Path
) -> tuple[TextClassifier, float]:
    """Train, save and load again: what the web and worker processes will run. Returns (model, training s)."""
    started = time.perf_counter()
    save_model(train_model(texts, labels, config=config), directory)
    return load_model(directory), time.perf_counter() - started


def bootstrap_level1(directory: Path, eval_texts: list[str], eval_labels: list[str]) -> dict[str, float]:
    """The starting model (bootstrap corpus only), its leaf predictions mapped to level 1."""
    started = time.perf_counter()
    model = train_default_model(directory)
    train_s = time.perf_counter() - started
    level1 = {c.name: c.level1 for c in read_categories()}
    predicted = [level1[p.label] for p in model.predict_batch(eval_texts)]
    result = evaluate(eval_labels, predicted)
    # macro-F1 over the classes both taxonomies share (a level-1 class only ours has counts as an error)
    shared = [c.f1 for c in result.per_class if c.label in set(eval_labels)]
    return {
        "bootstrap_n_train": model.metadata["n_train"],
        "bootstrap_level1_accuracy": round(result.accuracy, 4),
        "bootstrap_level1_macro_f1": round(float(np.mean(shared)), 4),
        "bootstrap_cv_accuracy": model.metadata["metrics"]["cv"]["accuracy"],
        "bootstrap_train_s": round(train_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "train_seg.csv", help="training CSV (text,label)")
    parser.add_argument("--model", type=Path, default=None, help="directory for our model (default: temporary)")
    parser.add_argument("--eval", type=Path, default=SHARED / "dev_raw.csv", help="evaluation CSV (text,label)")
    parser.add_argument("--repeat", type=int, default=5, help="batch timing runs (median reported)")
    parser.add_argument("--select", action="store_true", help="compare feature configurations instead")
    args = parser.parse_args()
    for path in (args.data, args.eval):
        if not path.exists():
            sys.exit(f"{path} not found (the shared data lives at ../shared relative to the checkout)")

    core = pin_to_one_core()
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    train_texts, train_labels = read_labelled_csv(args.data)
    eval_texts, eval_labels = read_labelled_csv(args.eval)
    print(
        f"pinned to core {core}; train {args.data.name} n={len(train_texts)}, eval {args.eval.name} n={len(eval_texts)}"
    )
    if args.select:
        select(train_texts, train_labels, eval_texts, eval_labels)
        return

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or Path(tmp) / "model"
        ours, ours_train_s = train_saved(train_texts, train_labels, FeatureConfig(), model_dir)
        model_mib = (model_dir / MODEL_FILE).stat().st_size / 2**20
        chars, chars_train_s = train_saved(train_texts, train_labels, CHAR_ONLY, Path(tmp) / "char-only")

        started = time.perf_counter()
        baseline = baseline_pipeline().fit(without_spaces(train_texts), train_labels)
        baseline_train_s = time.perf_counter() - started

        ours_speed = measure(ours, eval_texts, args.repeat)
        chars_speed = measure(chars, eval_texts, args.repeat)
        baseline.predict(eval_texts[:10])
        baseline_s = timed(lambda: baseline.predict(eval_texts), args.repeat)
        baseline_latencies = []
        for text in eval_texts:
            started = time.perf_counter()
            baseline.predict([text])
            baseline_latencies.append(time.perf_counter() - started)
        baseline_peak = peak_traced_mib(lambda: baseline.predict(eval_texts))

        probabilities = ours.predict_proba(eval_texts)
        predicted = [ours.labels[i] for i in probabilities.argmax(axis=1)]
        ours_eval = evaluate(eval_labels, predicted, ours.labels)
        chars_eval = evaluate(eval_labels, [p.label for p in chars.predict_batch(eval_texts)], chars.labels)
        baseline_eval = evaluate(eval_labels, list(baseline.predict(eval_texts)), ours.labels)
        known = [i for i, label in enumerate(eval_labels) if label in ours.labels]
        truth = np.array([ours.labels.index(eval_labels[i]) for i in known])
        ece = expected_calibration_error(probabilities[known], truth)
        cv = ours.metadata["metrics"].get("cv") or {}
        chars_cv = chars.metadata["metrics"].get("cv") or {}
        bootstrap = bootstrap_level1(Path(tmp) / "bootstrap", eval_texts, eval_labels)

    corpus_texts, _ = read_corpus()
    copied = shared_window_rows(
        [feature_text(t) for t in corpus_texts], [feature_text(t) for t in train_texts + eval_texts], width=20
    )
    n = len(eval_texts)
    result = {
        "bench": "classify",
        "train": args.data.name,
        "eval": args.eval.name,
        "n_train": len(train_texts),
        "n_eval": n,
        "features": ours.metadata["features"]["analyzer"],
        "ours_per_s": ours_speed["per_s"],
        "char_only_per_s": chars_speed["per_s"],
        "baseline_per_s": round(n / baseline_s, 1),
        "speedup": round(ours_speed["per_s"] * baseline_s / n, 2),
        "char_only_speedup": round(chars_speed["per_s"] * baseline_s / n, 2),
        "p50_ms": ours_speed["p50_ms"],
        "p99_ms": ours_speed["p99_ms"],
        "char_only_p50_ms": chars_speed["p50_ms"],
        "char_only_p99_ms": chars_speed["p99_ms"],
        "baseline_p50_ms": round(percentile_ms(baseline_latencies, 50), 3),
        "baseline_p99_ms": round(percentile_ms(baseline_latencies, 99), 3),
        "accuracy": round(ours_eval.accuracy, 4),
        "macro_f1": round(ours_eval.macro_f1, 4),
        "char_only_accuracy": round(chars_eval.accuracy, 4),
        "char_only_macro_f1": round(chars_eval.macro_f1, 4),
        "baseline_accuracy": round(baseline_eval.accuracy, 4),
        "baseline_macro_f1": round(baseline_eval.macro_f1, 4),
        "ece": round(ece, 4),
        "cv_macro_f1": cv.get("macro_f1"),
        "char_only_cv_macro_f1": chars_cv.get("macro_f1"),
        "cv_ece": cv.get("ece"),
        "ours_peak_traced_mib": ours_speed["peak_traced_mib"],
        "char_only_peak_traced_mib": chars_speed["peak_traced_mib"],
        "baseline_peak_traced_mib": round(baseline_peak, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "model_file_mib": round(model_mib, 1),
        "ours_train_s": round(ours_train_s, 1),
        "char_only_train_s": round(chars_train_s, 1),
        "baseline_train_s": round(baseline_train_s, 1),
        **bootstrap,
        "bootstrap_copied_rows": copied,
        "core": core,
    }
    print(f"{'':22}{'ours':>12}{'char-only':>12}{'baseline':>12}")
    for title, key in [
        ("tickets/s (batch)", "per_s"),
        ("p50 latency ms", "p50_ms"),
        ("p99 latency ms", "p99_ms"),
        ("accuracy", "accuracy"),
        ("macro-F1", "macro_f1"),
        ("peak traced MiB", "peak_traced_mib"),
        ("training s", "train_s"),
    ]:
        ours_key = {"per_s": "ours_per_s", "peak_traced_mib": "ours_peak_traced_mib", "train_s": "ours_train_s"}
        row = [result[ours_key.get(key, key)], result[f"char_only_{key}"], result[f"baseline_{key}"]]
        print(f"{title:22}" + "".join(f"{value:>12}" for value in row))
    print(f"speedup over the baseline: ours x{result['speedup']}, char-only x{result['char_only_speedup']}")
    print(
        f"ours: ECE {result['ece']} on {args.eval.name} (cv {result['cv_ece']}); "
        f"model file {result['model_file_mib']} MiB"
    )
    print(
        f"bootstrap model (n={result['bootstrap_n_train']}): level-1 accuracy {result['bootstrap_level1_accuracy']}, "
        f"macro-F1 {result['bootstrap_level1_macro_f1']} on {args.eval.name}; "
        f"corpus rows sharing 20 characters with the data: {copied}"
    )
    print(f"process max RSS {result['max_rss_mib']} MiB")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
