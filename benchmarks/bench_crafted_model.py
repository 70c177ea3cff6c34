"""Crafted model files (issue 9 rows 1, 2, 5, 7): how fast, and with how much memory, each is refused.

Run: python -m benchmarks.bench_crafted_model

Each file is built here. Each refusal runs in a fresh Python process (imports done first), which
reports the time to the ``ModelFileError`` and its peak resident memory above what it held before
the attempt (the peak, VmHWM, is reset after the imports through /proc/self/clear_refs). The same crafted file is then given to
``python -m core score --model`` (whole process: start, imports and refusal). A good model file
is loaded for comparison. Target: every crafted file refused in < 1 s with < 50 MB extra memory.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
from core.persistence import ModelFileError, load_model

def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS: imports don't count
before = status_kb("VmRSS")
start = time.perf_counter()
try:
    load_model(sys.argv[1])
    outcome = "loaded"
except ModelFileError as exc:
    outcome = "refused: " + str(exc).split(": ", 1)[-1][:70]
seconds = time.perf_counter() - start
print(seconds, (status_kb("VmHWM") - before) / 1024, outcome, sep="\t")
"""


def good_model_bytes() -> bytes:
    import numpy as np

    from core.detector import AutoencoderDetector
    from core.model import AutoencoderSpec
    from core.persistence import to_bytes
    from core.train import TrainConfig

    rng = np.random.default_rng(0)
    detector = AutoencoderDetector(AutoencoderSpec((32, 8)), TrainConfig(epochs=2, device="cpu"))
    detector.fit(rng.normal(size=(64, 140)).astype(np.float32))
    detector.threshold_ = 0.5
    return to_bytes(detector, {"test_auc": 0.99})


def split(data: bytes) -> tuple[dict, bytes]:
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length]), data[8 + length:]


def craft(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + payload


def crafted_files(good: bytes) -> dict[str, bytes]:
    header, payload = split(good)
    metadata = header["__metadata__"]
    files = {"a good 32-8 model (reference)": good}

    huge_spec = {**metadata, "spec": json.dumps({"encoder_units": [512] * 10, "input_size": 10 ** 6,
                                                 "activation": "relu", "output_activation": "linear"})}
    files["input_size 10^6, 10x512 layers, no weights"] = craft({"__metadata__": huge_spec})

    wide = json.loads(json.dumps(header))
    wide["encoder.0.weight"]["shape"] = [32, 10 ** 6]
    files["header declaring a 32 x 10^6 weight"] = craft(wide, payload)

    epoch = {"epoch": 1, "train_loss": 0.1, "val_loss": 0.1}
    long_history = [dict(epoch, epoch=i) for i in range(1, 300_001)]
    files["300k-epoch history (header over the cap)"] = craft(
        {**header, "__metadata__": {**metadata, "history": json.dumps(long_history)}}, payload)
    files["2001-epoch history"] = craft(
        {**header, "__metadata__": {**metadata, "history": json.dumps(long_history[:2001])}}, payload)
    files["history as a dict"] = craft({**header, "__metadata__": {**metadata, "history": '{"epoch": 1}'}}, payload)

    int8 = json.loads(json.dumps(header))
    for info in int8.values():
        if isinstance(info, dict) and "dtype" in info:
            info["dtype"] = "I8"
    files["int8 weights"] = craft(int8, payload)
    files["header length 2^63"] = struct.pack("<Q", 2 ** 63) + b"{}"
    return files


def main() -> None:
    good = good_model_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"{'file':45s} {'bytes':>10s} {'refusal s':>9s} {'extra MB':>8s} {'CLI s':>6s} {'CLI MB':>6s}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        beats = Path(folder) / "beats.csv"
        beats.write_text(",".join(["1", "2", "3"] * 10) + "\n")
        for name, data in crafted_files(good).items():
            path = Path(folder) / "model.safetensors"
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                 env=env, cwd=ROOT, check=True).stdout
            seconds, extra_mb, outcome = out.strip().split("\t")
            start = time.perf_counter()
            cli = subprocess.run([sys.executable, "-c", "import resource, runpy, sys; sys.argv = ['core', *sys.argv[1:]]\n"
                                  "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit:\n    pass\n"
                                  "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
                                  "score", str(beats), "--model", str(path)], capture_output=True, text=True,
                                 env=env, cwd=ROOT)
            cli_seconds = time.perf_counter() - start
            cli_peak_mb = int(cli.stderr.strip().splitlines()[-1]) / 1024
            print(f"{name:45s} {len(data):>10,d} {float(seconds):>9.3f} {float(extra_mb):>8.1f} {cli_seconds:>6.2f} "
                  f"{cli_peak_mb:>6.0f}  {outcome}")
    print("CLI s / CLI MB: the whole `python -m core score --model` process (start-up and imports included, "
          "peak RSS in all).")


if __name__ == "__main__":
    main()
