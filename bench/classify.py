"""Classifier benchmark: our pipeline against the plain jieba + TF-IDF + LinearSVC baseline, in one run.

    python bench/classify.py                       # train_seg.csv -> temp dir, evaluated on dev_raw.csv
    python bench/classify.py --data FILE.csv --model DIR [--eval FILE.csv]
    python bench/classify.py --select               # the model selection table of docs/classifier.md

Both models are trained on the same CSV (text,label) and scored on the same raw texts; the baseline
gets the training texts with their spaces removed (see ``without_spaces``). The process
is pinned to one core. Throughput = texts per second through the whole predict path (ours includes
normalisation; the baseline includes jieba), median of --repeat runs over the evaluation texts in one
batch. Latency = one ``predict_one`` call per evaluation text. Peak memory = tracemalloc peak of a
batch prediction (a separate pass: tracemalloc slows the code it watches), and the process's max RSS.
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
from classifier.calibration import expected_calibration_error  # noqa: E402
from classifier.cli import read_labelled_csv  # noqa: E402
from classifier.evaluate import evaluate  # noqa: E402
from classifier.model import FeatureConfig, train_model  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "teddy2020c"


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
# evaluation data (a confirmation only): (name, config).
CANDIDATES = [
    ("char 1-3", FeatureConfig(head_chars=0, class_weight=None)),
    ("char 1-3 + head", FeatureConfig(class_weight=None)),
    ("char 1-3 + head, balanced (default)", FeatureConfig()),
    ("char 1-3 + head x1.0, balanced", FeatureConfig(head_weight=1.0)),
    ("char 1-4 + head, balanced", FeatureConfig(ngram_range=(1, 4))),
    ("char 2-4 + head, balanced", FeatureConfig(ngram_range=(2, 4))),
    ("char 1-3 + head, balanced, C=0.5", FeatureConfig(C=0.5)),
    ("char 1-3 + head, balanced, C=2", FeatureConfig(C=2.0)),
    ("char 1-3 + head, balanced, min_df=3", FeatureConfig(min_df=3)),
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
        started = time.perf_counter()
        save_model(train_model(train_texts, train_labels), model_dir)
        ours_train_s = time.perf_counter() - started
        ours = load_model(model_dir)  # measure what the web and worker processes will run
        model_mib = (model_dir / MODEL_FILE).stat().st_size / 2**20

        started = time.perf_counter()
        baseline = baseline_pipeline().fit(without_spaces(train_texts), train_labels)
        baseline_train_s = time.perf_counter() - started

        # warm both paths once (first-call imports and caches)
        ours.predict_batch(eval_texts[:10])
        baseline.predict(eval_texts[:10])

        ours_s = timed(lambda: ours.predict_batch(eval_texts), args.repeat)
        baseline_s = timed(lambda: baseline.predict(eval_texts), args.repeat)
        latencies, baseline_latencies = [], []
        for text in eval_texts:
            started = time.perf_counter()
            ours.predict_one(text)
            latencies.append(time.perf_counter() - started)
            started = time.perf_counter()
            baseline.predict([text])
            baseline_latencies.append(time.perf_counter() - started)

        ours_peak = peak_traced_mib(lambda: ours.predict_batch(eval_texts))
        baseline_peak = peak_traced_mib(lambda: baseline.predict(eval_texts))

        probabilities = ours.predict_proba(eval_texts)
        predicted = [ours.labels[i] for i in probabilities.argmax(axis=1)]
        ours_eval = evaluate(eval_labels, predicted, ours.labels)
        baseline_eval = evaluate(eval_labels, list(baseline.predict(eval_texts)), ours.labels)
        known = [i for i, label in enumerate(eval_labels) if label in ours.labels]
        truth = np.array([ours.labels.index(eval_labels[i]) for i in known])
        ece = expected_calibration_error(probabilities[known], truth)
        cv = ours.metadata["metrics"].get("cv") or {}

    n = len(eval_texts)
    result = {
        "bench": "classify",
        "train": args.data.name,
        "eval": args.eval.name,
        "n_train": len(train_texts),
        "n_eval": n,
        "ours_per_s": round(n / ours_s, 1),
        "baseline_per_s": round(n / baseline_s, 1),
        "speedup": round(baseline_s / ours_s, 2),
        "p50_ms": round(percentile_ms(latencies, 50), 3),
        "p99_ms": round(percentile_ms(latencies, 99), 3),
        "baseline_p50_ms": round(percentile_ms(baseline_latencies, 50), 3),
        "baseline_p99_ms": round(percentile_ms(baseline_latencies, 99), 3),
        "accuracy": round(ours_eval.accuracy, 4),
        "macro_f1": round(ours_eval.macro_f1, 4),
        "baseline_accuracy": round(baseline_eval.accuracy, 4),
        "baseline_macro_f1": round(baseline_eval.macro_f1, 4),
        "ece": round(ece, 4),
        "cv_macro_f1": cv.get("macro_f1"),
        "cv_ece": cv.get("ece"),
        "ours_peak_traced_mib": round(ours_peak, 1),
        "baseline_peak_traced_mib": round(baseline_peak, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "model_file_mib": round(model_mib, 1),
        "ours_train_s": round(ours_train_s, 1),
        "baseline_train_s": round(baseline_train_s, 1),
        "core": core,
    }
    print(f"{'':22}{'ours':>12}{'baseline':>12}")
    ours_rate, baseline_rate = result["ours_per_s"], result["baseline_per_s"]
    print(f"{'tickets/s (batch)':22}{ours_rate:>12}{baseline_rate:>12}   speedup x{result['speedup']}")
    print(f"{'p50 latency ms':22}{result['p50_ms']:>12}{result['baseline_p50_ms']:>12}")
    print(f"{'p99 latency ms':22}{result['p99_ms']:>12}{result['baseline_p99_ms']:>12}")
    print(f"{'accuracy':22}{result['accuracy']:>12}{result['baseline_accuracy']:>12}")
    print(f"{'macro-F1':22}{result['macro_f1']:>12}{result['baseline_macro_f1']:>12}")
    print(f"{'peak traced MiB':22}{result['ours_peak_traced_mib']:>12}{result['baseline_peak_traced_mib']:>12}")
    print(f"{'training s':22}{result['ours_train_s']:>12}{result['baseline_train_s']:>12}")
    print(f"ours: ECE {result['ece']} on {args.eval.name} (cv {result['cv_ece']})")
    print(f"ours: model file {result['model_file_mib']} MiB")
    print(f"process max RSS {result['max_rss_mib']} MiB")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
