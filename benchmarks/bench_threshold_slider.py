"""Server time of one threshold-slider move on the Thresholds & ROC page.

Run from the repository root:
    ECG5000_DIR=/path/to/ecg5000 python -m benchmarks.bench_threshold_slider [--moves 20]

1. AppTest: the whole page script after a slider move (what the server does before it sends the
   new screen), over evenly spaced thresholds; median and 90th percentile.
2. The same move without Streamlit: confusion counts, metrics, per-class table and the four
   figures, from the model's cached scores and curves.
3. Just the counts (one ThresholdSweep lookup), and the one-off curve computation that the
   per-model cache saves on every move.
Target: a move well under 150 ms of server time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app.figures import error_histogram, pr_figure, roc_figure
from app.models import train_model
from app.threshold_view import Curves, histogram_x_max, operating_point, per_class_table
from core.data import split_beats
from core.ucr import load_ucr
from core.metrics import ThresholdSweep, pr_curve, roc
from core.model import AutoencoderSpec
from core.train import TrainConfig

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def milliseconds(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    print(f"{name:<44} median {statistics.median(times):8.3f} ms   p90 {p90:8.3f} ms   (n={len(times)})")


def app_moves(thresholds: np.ndarray) -> list[float]:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("pages/thresholds.py").run()
    times = []
    for value in thresholds:
        times.append(milliseconds(lambda: at.slider(key="threshold_slider").set_value(float(value)).run()))
        assert not at.exception, at.exception
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()

    split = split_beats(load_ucr())
    model = train_model(split, AutoencoderSpec(), TrainConfig(), label="benchmark")
    scores, labels = model.evaluation.test_scores, split.test.is_anomaly
    thresholds = np.linspace(np.quantile(scores, 0.05), np.quantile(scores, 0.95), args.moves)
    curves = Curves(roc(scores, labels), pr_curve(scores, labels), ThresholdSweep(scores, labels))

    def page_work(threshold: float) -> None:
        point = operating_point(curves, threshold)
        per_class_table(model, split, threshold)
        error_histogram(scores, labels, threshold, x_max=histogram_x_max(scores, threshold))
        roc_figure(curves.roc["fpr"], curves.roc["tpr"], curves.roc["auc"], point.roc_point)
        pr_figure(curves.pr["recall"], curves.pr["precision"], curves.pr["average_precision"],
                  curves.sweep.positives / len(scores), point.pr_point)

    app_moves(thresholds[:3])  # warm-up: imports, the default model, the curve cache
    report("slider move, whole page (AppTest)", app_moves(thresholds))
    report("slider move, page work without Streamlit", [milliseconds(lambda: page_work(t)) for t in thresholds])
    report("confusion + metrics only (ThresholdSweep)",
           [milliseconds(lambda: operating_point(curves, t)) for t in thresholds])
    report("ROC + PR + sweep (cached per model; once)",
           [milliseconds(lambda: (roc(scores, labels), pr_curve(scores, labels), ThresholdSweep(scores, labels)))
            for _ in range(5)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
