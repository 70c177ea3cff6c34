"""The insight-lab subcommands of ``python -m core``: experiment, baselines, attack.

``experiment contamination|depth|optimizers`` prints one JSON object with ``runs`` (one row per
training); recipe ``default`` is ``python -m core train``'s defaults, so a row equals
``train --abnormal-pct P --seed S``. ``baselines`` compares classical detectors with the
default autoencoder. ``attack`` writes, per beat, the smallest verdict-flipping change found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

EXPERIMENTS = ("contamination", "depth", "optimizers")


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}")


def add_parsers(sub) -> None:
    from core.experiments import DEFAULT_BUDGET
    from core.recipes import NAMED

    experiment = sub.add_parser("experiment", help="run one of the report's experiments over seeds")
    experiment.add_argument("which", choices=EXPERIMENTS)
    experiment.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default %(default)s)")
    experiment.add_argument("--recipes", default=None,
                            help=f"comma-separated, of {', '.join(NAMED)} (default: both for contamination, "
                                 "default otherwise)")
    experiment.add_argument("--pcts", type=_numbers, default=None, help="contamination: abnormal percents")
    experiment.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs")
    experiment.add_argument("--workers", type=int, default=1, help="processes training in parallel")
    experiment.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                            help="most work allowed, in default trainings (default %(default)s)")
    experiment.add_argument("--data", default=None, help="folder with the ECG5000 files")
    experiment.add_argument("--json", action="store_true", help="print one JSON object")

    baselines = sub.add_parser("baselines", help="classical detectors next to the default autoencoder")
    baselines.add_argument("--abnormal-pct", type=float, default=0.0)
    baselines.add_argument("--seed", type=int, default=0)
    baselines.add_argument("--epochs", type=int, default=None, help="the autoencoder's epochs")
    baselines.add_argument("--data", default=None, help="folder with the ECG5000 files")
    baselines.add_argument("--json", action="store_true", help="print one JSON object")

    attack = sub.add_parser("attack", help="the smallest change that flips each beat's verdict")
    attack.add_argument("beats", help="CSV/text file: one beat per row")
    attack.add_argument("--model", required=True, help="a model file written by 'train --save'")
    attack.add_argument("--out", required=True, help="CSV to write the changed beats to, one per row")
    attack.add_argument("--has-label", action="store_true", help="drop the first value of each row")
    attack.add_argument("--json", action="store_true", help="print one JSON object per row")


def _recipes(args):
    from core.recipes import NAMED

    names = args.recipes.split(",") if args.recipes else (
        list(NAMED) if args.which == "contamination" else ["default"])
    unknown = [n for n in names if n not in NAMED]
    if unknown:
        raise ValueError(f"unknown recipe {unknown[0]!r}: choose from {', '.join(NAMED)}")
    recipes = [NAMED[n] for n in names]
    if args.epochs is not None:
        from core.train import TrainConfig

        TrainConfig(epochs=args.epochs)  # its message for a bad value
        recipes = [replace(r, config=replace(r.config, epochs=args.epochs)) for r in recipes]
    return recipes


def experiment(args) -> int:
    from core import sweeps
    from core.experiments import check_budget

    recipes = _recipes(args)
    if args.which == "contamination":
        pcts = args.pcts if args.pcts is not None else sweeps.CONTAMINATION_PCTS
        tasks = sweeps.contamination_tasks(recipes, args.seeds, [p if p % 1 else int(p) for p in pcts],
                                           data_dir=args.data)
    elif args.which == "depth":
        tasks = sweeps.depth_tasks(recipes[0], args.seeds, data_dir=args.data)
    else:
        tasks = sweeps.optimizer_tasks(recipes[0], args.seeds, data_dir=args.data)
    check_budget(tasks, args.budget)
    start = time.perf_counter()
    rows = _run(tasks, args.workers, quiet=args.json)
    seconds = time.perf_counter() - start
    if args.which == "contamination":
        summary = sweeps.contamination_sentences(rows)
    elif args.which == "depth":
        summary = [sweeps.depth_sentence(rows)]
    else:
        summary = [sweeps.optimizer_sentence(sweeps.optimizer_curves(rows, recipes[0].config.learning_rate),
                                             recipes[0].config.learning_rate)]
    if args.json:
        print(json.dumps({"experiment": args.which, "seeds": args.seeds, "seconds": seconds, "runs": rows,
                          "summary": summary}))
        return 0
    x = {"contamination": "abnormal_pct", "depth": "layers", "optimizers": "optimizer"}[args.which]
    extra = " lr" if args.which == "optimizers" else ""
    print(f"{'recipe':<20}{x:>14}{extra:>8}{'seed':>6}{'test AUC':>10}{'seconds':>9}")
    for row in rows:
        lr = f"{row['learning_rate']:>8g}" if extra else ""
        print(f"{row['recipe']:<20}{row[x]!s:>14}{lr}{row['seed']:>6}{row['test_auc']:>10.4f}{row['train_seconds']:>9.2f}")
    print("\n".join(["", *summary, f"{len(rows)} runs in {seconds:.1f} s"]))
    return 0


def _run(tasks, workers: int, quiet: bool) -> list[dict]:
    from tqdm import tqdm

    from core.experiments import run_tasks

    bar = None if quiet else tqdm(total=len(tasks), desc="experiment", unit="run", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    if workers <= 1:
        rows = run_tasks(tasks, progress=progress)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            rows = run_tasks(tasks, pool, progress=progress)
    if bar is not None:
        bar.close()
    return rows


def baselines(args) -> int:
    from core import baselines as classical
    from core.data import Composition
    from core.evaluation import start_experiment
    from core.experiments import load_split
    from core.recipes import DEFAULT

    split = load_split(args.data)
    composition = Composition(None, args.abnormal_pct / 100, seed=args.seed)
    config = replace(DEFAULT.config, seed=args.seed, epochs=args.epochs or DEFAULT.config.epochs)
    start = time.perf_counter()
    detector, training = start_experiment(split, DEFAULT.spec, config, composition)
    training.run()
    results = [classical.measure("autoencoder", detector, split, time.perf_counter() - start,
                                 DEFAULT.spec.param_count, f"{DEFAULT.describe()}"),
               *classical.compare(split, composition, seed=args.seed)]
    if args.json:
        print(json.dumps({"methods": [r.row() for r in results]}))
        return 0
    print(f"{'method':<28}{'test AUC':>9}{'F1':>7}{'precision':>10}{'recall':>8}{'fit s':>8}{'size':>9}")
    for r in results:
        print(f"{r.name:<28}{r.test_auc:>9.4f}{r.f1:>7.3f}{r.precision:>10.3f}{r.recall:>8.3f}"
              f"{r.fit_seconds:>8.2f}{r.size:>9,}")
    return 0


def attack(args) -> int:
    import numpy as np

    from core.attack import find_flips
    from core.data import is_flat
    from core.beats_csv import decode_beats_file, read_rows
    from core.persistence import load_detector

    detector = load_detector(args.model)
    parsed = []
    flat = "a flat beat has no shape to change: it is abnormal by rule, whatever its score"
    for row in read_rows(decode_beats_file(Path(args.beats).read_bytes()).splitlines(), args.has_label):
        parsed.append((row.row, row.error if row.error is not None else flat if is_flat(row.beat)[0] else row.beat))
    good = [beat for _, beat in parsed if not isinstance(beat, str)]
    flips = iter(find_flips(detector, np.stack(good)) if good else [])
    lines, reports = [], []
    for number, beat in parsed:
        if isinstance(beat, str):
            reports.append({"row": number, "error": beat})
            lines.append(f"# row {number}: {beat}")
            continue
        flip = next(flips)
        reports.append({"row": number, **{k: flip.summary()[k] for k in ("from", "to", "flipped", "relative_change")}})
        lines.append(",".join(f"{v:.9g}" for v in flip.adversarial))
    Path(args.out).write_text("\n".join(lines) + "\n")
    for report in reports:
        if args.json:
            print(json.dumps(report))
        elif "error" in report:
            print(f"row {report['row']}: error: {report['error']}")
        else:
            outcome = "flipped" if report["flipped"] else "NOT flipped"
            print(f"row {report['row']}: {report['from']} -> {report['to']} ({outcome}), "
                  f"change {report['relative_change']:.1%} of the beat")
    return 0


HANDLERS = {"experiment": experiment, "baselines": baselines, "attack": attack}
