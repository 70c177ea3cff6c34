"""Command line: ``python -m core train ...`` and ``python -m core score BEATS.csv --model PATH``;
``experiment``, ``baselines`` and ``attack`` live in ``core.cli_lab``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import cli_lab
from core.data import Composition
from core.model import ACTIVATIONS, AutoencoderSpec
from core.train import OPTIMIZERS, REGULARIZERS, TrainConfig

DEFAULT_SPEC = AutoencoderSpec()
DEFAULT_CONFIG = TrainConfig()


def _layers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"layers must be whole numbers separated by commas, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train on ECG5000, print validation/test metrics")
    train.add_argument("--layers", type=_layers, default=DEFAULT_SPEC.encoder_units,
                       help="encoder widths, last = bottleneck (default %(default)s)")
    train.add_argument("--activation", choices=list(ACTIVATIONS), default=DEFAULT_SPEC.activation)
    train.add_argument("--epochs", type=int, default=DEFAULT_CONFIG.epochs)
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULT_CONFIG.optimizer)
    train.add_argument("--lr", type=float, default=DEFAULT_CONFIG.learning_rate)
    train.add_argument("--batch-size", type=int, default=DEFAULT_CONFIG.batch_size)
    train.add_argument("--regularizer", choices=REGULARIZERS, default=DEFAULT_CONFIG.regularizer)
    train.add_argument("--reg-rate", type=float, default=DEFAULT_CONFIG.regularization_rate)
    train.add_argument("--abnormal-pct", type=float, default=0.0, help="percent abnormal beats in training (0-70)")
    train.add_argument("--train-size", type=int, default=None, help="training beats (default: all normal beats)")
    train.add_argument("--seed", type=int, default=DEFAULT_CONFIG.seed)
    train.add_argument("--device", default=DEFAULT_CONFIG.device)
    train.add_argument("--threads", type=int, default=DEFAULT_CONFIG.threads)
    train.add_argument("--data", default=None, help="folder with the ECG5000 files")
    train.add_argument("--save", default=None, help="write the trained model to this file")
    train.add_argument("--json", action="store_true", help="print one JSON object")

    score = sub.add_parser("score", help="score beats from a CSV file, one beat per row")
    score.add_argument("beats", help="CSV/text file: one beat per row (any length, resampled to 140)")
    score.add_argument("--model", required=True, help="a model file written by 'train --save'")
    score.add_argument("--has-label", action="store_true",
                       help="each row starts with its class label 1-5 (UCR files): verdicts are compared with it")
    score.add_argument("--json", action="store_true",
                       help='print one JSON object per row, then one {"summary": ...} (strict JSON)')
    cli_lab.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"train": _train, "score": _score, **cli_lab.HANDLERS}[args.command](args)
    except (ValueError, OSError) as exc:  # configs, files and data raise readable errors
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _train(args) -> int:
    from tqdm import tqdm

    from core.data import split_beats
    from core.ucr import load_ucr
    from core.evaluation import evaluate, start_experiment
    from core.persistence import save_detector

    spec = AutoencoderSpec(args.layers, activation=args.activation)
    config = TrainConfig(optimizer=args.optimizer, learning_rate=args.lr, batch_size=args.batch_size,
                         epochs=args.epochs, regularizer=args.regularizer,
                         regularization_rate=args.reg_rate, seed=args.seed, device=args.device,
                         threads=args.threads)
    composition = Composition(args.train_size, args.abnormal_pct / 100, seed=args.seed)
    bars = {}

    def on_download(done: int, total: int) -> None:  # only called when a download happens
        if not args.json:
            bar = bars.setdefault("download", tqdm(desc="download ECG5000", unit="B", unit_scale=True))
            bar.total = total or None
            bar.update(done - bar.n)

    split = split_beats(load_ucr(args.data, download=True, progress=on_download))
    for bar in bars.values():
        bar.close()
    detector, training = start_experiment(split, spec, config, composition)
    events = training if args.json else tqdm(training, total=config.epochs, desc="train", unit="epoch")
    for event in events:
        if not args.json:
            events.set_postfix(loss=f"{event.train_loss:.4f}", val=f"{event.val_loss:.4f}")
    result = training.result
    evaluation = evaluate(detector, split)
    report = {
        "status": result.status,
        "message": result.message,
        **evaluation.summary(),
        "train_seconds": result.seconds,
        "epochs": result.epochs_run,
        "train_size": training.train_size,
        "params": spec.param_count,
        "layers": list(spec.encoder_units),
        "device": str(training.device),
        "seed": config.seed,
    }
    if args.save:
        report["saved"] = str(save_detector(detector, args.save, evaluation.summary(), composition,
                                            training.train_size))
    if args.json:
        print(json.dumps(report))
    else:
        test = report["test"]
        print(f"{result.message}\n"
              f"model      {'-'.join(map(str, spec.encoder_units))} ({spec.param_count:,} parameters) on {report['device']}\n"
              f"AUC        validation {report['val_auc']:.4f}   test {report['test_auc']:.4f}\n"
              f"threshold  {report['threshold']:.4f} ({report['threshold_rule']})\n"
              f"test       accuracy {test['accuracy']:.3f}  precision {test['precision']:.3f}  "
              f"recall {test['recall']:.3f}  F1 {test['f1']:.3f}")
        if args.save:
            print(f"saved      {report['saved']}")
    return 0 if result.ok else 1


def _score(args) -> int:
    from core.beats_csv import BeatsFileError, decode_beats_file
    from core.detector import REASONS
    from core.persistence import load_detector
    from core.scoring import score_text

    detector = load_detector(args.model)
    if detector.threshold_ is None:
        raise ValueError(f"{args.model} has no threshold (it was saved before calibration): it can't judge beats")
    try:
        text = decode_beats_file(Path(args.beats).read_bytes())
    except BeatsFileError as exc:
        raise BeatsFileError(f"{args.beats}: {exc}") from None
    scored = score_text(detector, text.splitlines(), has_label=args.has_label)
    for row in scored.records():
        if args.json:
            print(json.dumps(row, allow_nan=False))
        elif "error" in row:
            print(f"row {row['row']}: skipped: {row['error']}")
        else:
            score = "no score" if row["score"] is None else f"score {row['score']:.4f}"
            label = f"  (label {row['label']})" if "label" in row else ""
            print(f"row {row['row']}: {score}  {'ABNORMAL' if row['anomaly'] else 'normal'}: "
                  f"{REASONS[row['reason']]}{label}")
    summary = scored.summary()
    if args.json:
        print(json.dumps({"summary": summary}, allow_nan=False))
    else:
        print(_summary_line(summary, scored.looks_labelled))
    return 0 if scored.judgement is not None else 1


def _summary_line(summary: dict, looks_labelled: bool) -> str:
    line = (f"summary: {summary['normal'] + summary['abnormal']} beats scored: {summary['normal']} normal, "
            f"{summary['abnormal']} abnormal; {summary['skipped']} rows skipped")
    if "confusion" in summary:
        c = summary["confusion"]
        line += (f"\nagainst the labels: accuracy {summary['accuracy']:.3f}  (abnormal called abnormal {c['tp']}, "
                 f"normal called abnormal {c['fp']}, normal called normal {c['tn']}, abnormal called normal {c['fn']})")
    if looks_labelled:
        line += "\nnote: every row starts with a whole number from 1 to 5: if those are class labels, add --has-label"
    return line
