"""Which default architecture? Mean test/validation AUC over seeds for candidate layer lists.

Run from the repository root: python -m benchmarks.sweep_architectures [--seeds 5] [--epochs 100]
Prints one row per architecture; the default in core.model was chosen from this table.
"""

import argparse
import statistics
import time

from core.data import split_beats
from core.ucr import load_ucr
from core.evaluation import train_and_evaluate
from core.model import AutoencoderSpec
from core.train import TrainConfig

CANDIDATES = [(7, 3, 2), (16, 8), (32, 16, 8), (32, 16, 4), (64, 32, 16), (64, 32, 16, 8), (128, 64, 32), (32, 8)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    split = split_beats(load_ucr())
    print(f"{'layers':<18}{'params':>8}{'val AUC':>10}{'test AUC':>10}{'min test':>10}{'test F1':>9}{'train s':>9}")
    for units in CANDIDATES:
        spec = AutoencoderSpec(units)
        runs = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            _, ev = train_and_evaluate(split, spec, TrainConfig(epochs=args.epochs, seed=seed))
            runs.append((ev.val_auc, ev.test_auc, ev.test_metrics["f1"], time.perf_counter() - start))
        val, test, f1, secs = (statistics.mean(col) for col in zip(*runs))
        worst = min(r[1] for r in runs)
        print(f"{'-'.join(map(str, units)):<18}{spec.param_count:>8}{val:>10.4f}{test:>10.4f}{worst:>10.4f}{f1:>9.3f}{secs:>9.2f}")


if __name__ == "__main__":
    main()
