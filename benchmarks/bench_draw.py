"""Drawing to verdict: how long a learner waits after lifting the pen (server side).

Run: ECG5000_DIR=/path/to/ecg5000 python -m benchmarks.bench_draw [--repeats 200] [--reruns 30]

1. The conversion and scoring alone: a freedraw stroke as Fabric writes it (M, ~350 smoothed Q
   segments, L, traced over a real normal test beat) -> 140 values -> reconstruction, score and
   verdict, with the default model. Also the same with 50 strokes.
2. A whole page rerun in AppTest with that drawing injected into the canvas's widget state (what
   Streamlit does when the canvas sends a stroke): every element of the page rebuilt.
Medians in milliseconds. The browser's own drawing and the websocket round trip are not included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent


def fabric_stroke(xs: np.ndarray, ys: np.ndarray) -> dict:
    commands = [["M", float(xs[0]), float(ys[0])]]
    commands += [["Q", float(x) - 1, float(y) - 1, float(x), float(y)] for x, y in zip(xs[1:-1], ys[1:-1])]
    commands.append(["L", float(xs[-1]), float(ys[-1])])
    return {"type": "Path", "version": "7.4.0", "path": commands}


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--reruns", type=int, default=30)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the app runs

    from streamlit.testing.v1 import AppTest

    from app.drawing_view import GEOMETRY, VERSION_KEY, judge_drawing, typical_beat
    from app.models import train_model
    from core.data import split_beats
    from core.ucr import load_ucr
    from core.model import AutoencoderSpec
    from core.train import TrainConfig

    split = split_beats(load_ucr())
    model = train_model(split, AutoencoderSpec(), TrainConfig(), label="Default model")
    beat = split.test.x[typical_beat(split.test, 1)]
    xs = np.linspace(0, GEOMETRY.width, 350)
    ys = GEOMETRY.value_to_y(np.interp(xs, np.linspace(0, GEOMETRY.width, len(beat)), beat))
    one_stroke = {"objects": [fabric_stroke(xs, ys)]}
    many_strokes = {"objects": [fabric_stroke(xs[i:i + 8], ys[i:i + 8] + 3 * (i % 2))
                                for i in range(0, 343, 7)]}

    print(f"drawing -> verdict, server side, median of {args.repeats}:")
    cases = {"1 stroke, 350 points": one_stroke, f"{len(many_strokes['objects'])} strokes": many_strokes}
    for name, json_data in cases.items():
        ms = median_ms(lambda: judge_drawing(model, json_data).abnormal, args.repeats)
        print(f"  {name:<22} {ms:7.2f} ms")

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/draw.py").run()
    assert not at.exception, at.exception
    key = f"draw_canvas_{at.session_state[VERSION_KEY]}"

    def rerun_with_drawing() -> None:
        at.session_state[key] = {"drawing": {"raw": one_stroke, "data": None}}
        at.run()
        assert at.success or at.error, "no verdict on the page"

    rerun_with_drawing()  # warm: caches filled, default model trained
    ms = median_ms(rerun_with_drawing, args.reruns)
    print(f"AppTest rerun of the Draw page with an injected drawing, median of {args.reruns}: {ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
