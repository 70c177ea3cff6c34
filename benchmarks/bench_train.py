"""Training speed: our trainer vs a plain hand-written PyTorch loop, and concurrent trainings.

Run from the repository root: python -m benchmarks.bench_train [--epochs 100] [--repeats 5]

Both loops train the same architecture on the same beats (all normal beats of the train pool)
for the same epochs and batch size, in this process with one torch thread. Ours also computes
validation loss every epoch, keeps last-good weights for divergence, and emits progress events.
If PyOD is installed, its AutoEncoder joins the table. Then 1, 2, 4, 8 trainings run at once in
threads of one process (how a Streamlit server runs sessions) and the aggregate throughput is
printed: it must not collapse as sessions are added.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
import torch

from core.data import split_beats
from core.ucr import load_ucr
from core.model import AutoencoderSpec
from core.train import TrainConfig, Training, build_model


def plain_loop(x: np.ndarray, spec: AutoencoderSpec, config: TrainConfig) -> float:
    """The loop a careful person writes by hand; returns training seconds."""
    model = build_model(spec, config.seed)
    data = torch.as_tensor(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.MSELoss()
    start = time.perf_counter()
    for _ in range(config.epochs):
        order = torch.randperm(len(data))
        for i in range(0, len(data), config.batch_size):
            batch = data[order[i:i + config.batch_size]]
            optimizer.zero_grad()
            loss = loss_fn(model(batch), batch)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def our_trainer(x: np.ndarray, val: np.ndarray, spec: AutoencoderSpec, config: TrainConfig) -> float:
    training = Training(build_model(spec, config.seed), config, x, val)
    events = sum(1 for _ in training)  # progress events on: one per epoch, consumed
    assert events == config.epochs, training.result
    return training.result.seconds


def pyod_loop(x: np.ndarray, spec: AutoencoderSpec, config: TrainConfig) -> float | None:
    try:
        from pyod.models.auto_encoder import AutoEncoder
    except ImportError:
        return None
    model = AutoEncoder(hidden_neuron_list=list(spec.encoder_units), epoch_num=config.epochs,
                        batch_size=config.batch_size, lr=config.learning_rate, verbose=0,
                        dropout_rate=0.0, batch_norm=False, preprocessing=False)
    start = time.perf_counter()
    model.fit(x)
    return time.perf_counter() - start


def concurrent(n: int, x: np.ndarray, val: np.ndarray, spec: AutoencoderSpec, config: TrainConfig) -> float:
    """Wall seconds for n trainings started together in n threads."""
    threads = [threading.Thread(target=our_trainer, args=(x, val, spec, TrainConfig(**{**config.to_dict(), "seed": s})))
               for s in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    split = split_beats(load_ucr())
    x, val = split.train.normal, split.validation.normal
    spec, config = AutoencoderSpec(), TrainConfig(epochs=args.epochs)
    print(f"{len(x)} normal training beats, layers {spec.encoder_units}, {args.epochs} epochs, "
          f"batch {config.batch_size}, adam, 1 torch thread, median of {args.repeats}")

    plain_loop(x, spec, TrainConfig(epochs=3))  # warm-up: first calls pay allocator/dispatch costs
    ours = statistics.median(our_trainer(x, val, spec, config) for _ in range(args.repeats))
    plain = statistics.median(plain_loop(x, spec, config) for _ in range(args.repeats))
    print(f"{'loop':<28}{'seconds':>9}{'vs plain':>10}")
    print(f"{'plain hand-written loop':<28}{plain:>9.3f}{1.0:>10.2f}")
    print(f"{'ours (events, val loss)':<28}{ours:>9.3f}{ours / plain:>10.2f}")
    pyod = pyod_loop(x, spec, config)
    print(f"{'PyOD AutoEncoder':<28}" + (f"{pyod:>9.3f}{pyod / plain:>10.2f}" if pyod else "   (PyOD not installed)"))

    print(f"\n{'concurrent':<12}{'wall s':>8}{'epochs/s total':>16}{'vs 1':>7}")
    base = None
    for n in (1, 2, 4, 8):
        wall = concurrent(n, x, val, spec, config)
        throughput = n * args.epochs / wall
        base = base or throughput
        print(f"{n:<12}{wall:>8.2f}{throughput:>16.0f}{throughput / base:>7.2f}")


if __name__ == "__main__":
    main()
