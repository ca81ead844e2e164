"""python -m classifier train --data FILE.csv --model DIR | eval --data FILE.csv --model DIR [--json]
| candidate --data FILE.csv --holdout FILE.csv --model DIR [--against DIR] | predict --model DIR "TEXT"
(the shell's ``hotline classifier`` calls the same functions; its ``retrain`` runs ``candidate``)."""

from __future__ import annotations

import argparse
import sys

from classifier import cli
from classifier.artifact import ModelNotFound


def main(argv: list[str] | None = None, prog: str = "python -m classifier") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="ticket category model")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model from a text,label CSV")
    train.add_argument("--data", required=True, help="CSV with text,label columns")
    train.add_argument("--model", required=True, help="model directory to write")
    evaluate = commands.add_parser("eval", help="evaluate a model on a text,label CSV")
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--json", action="store_true", help="end with one JSON line")
    candidate = commands.add_parser(
        "candidate", help="train a candidate and score it and the current model on a held-back CSV (JSON)"
    )
    candidate.add_argument("--data", required=True, help="training CSV with text,label columns")
    candidate.add_argument("--holdout", required=True, help="held-back CSV both models are scored on")
    candidate.add_argument("--model", required=True, help="model directory to write")
    candidate.add_argument("--against", help="the model in use, scored on the same rows")
    predict = commands.add_parser("predict", help="classify one text")
    predict.add_argument("--model", required=True)
    predict.add_argument("text")
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            cli.train(args.data, args.model)
        elif args.command == "eval":
            cli.evaluate(args.data, args.model, as_json=args.json)
        elif args.command == "candidate":
            cli.candidate(args.data, args.holdout, args.model, args.against)
        else:
            cli.predict(args.model, args.text)
    except (cli.DataError, ModelNotFound, FileNotFoundError) as error:
        print(f"错误: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
