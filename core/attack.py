"""Fooling the detector: the smallest change to a beat that flips its verdict.

A gradient search (Carlini-Wagner style) with torch autograd through the per-beat z-score and
the autoencoder: minimise ``||z(x0 + d) - x0||^2 + c * hinge`` where the hinge is how far the
score still is from crossing the threshold (by ``margin``, so the flip survives writing the
beat to a CSV file and reading it back). ``c`` is searched per beat: halved towards the
smallest change while the flip holds, raised tenfold while it does not. Every returned flip is
checked with the detector's own ``predict``; a beat whose search never flips comes back
unchanged with ``flipped`` False.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from core.data import is_flat, zscore
from core.detector import AutoencoderDetector, NotFittedError

VERDICTS = {0: "normal", 1: "abnormal"}


@dataclass(frozen=True)
class Flip:
    """One beat's search. Beats are model inputs (z-scored); ``scores`` is the anomaly score at
    every step of the search (all rounds, in order)."""

    original: np.ndarray
    adversarial: np.ndarray
    original_score: float
    adversarial_score: float
    threshold: float
    original_verdict: int  # 1 abnormal, 0 normal (the detector's ``predict``)
    adversarial_verdict: int
    scores: np.ndarray

    @property
    def flipped(self) -> bool:
        return self.adversarial_verdict != self.original_verdict

    @property
    def difference(self) -> np.ndarray:
        return self.adversarial - self.original

    @property
    def relative_change(self) -> float:
        """L2 size of the change over the L2 size of the beat."""
        return float(np.linalg.norm(self.difference) / np.linalg.norm(self.original))

    def summary(self) -> dict:
        return {"from": VERDICTS[self.original_verdict], "to": VERDICTS[self.adversarial_verdict],
                "flipped": self.flipped, "relative_change": self.relative_change,
                "original_score": self.original_score, "adversarial_score": self.adversarial_score,
                "threshold": self.threshold}


def _zscore(x: torch.Tensor) -> torch.Tensor:
    """``core.data.zscore`` in torch, so gradients flow through the scaling."""
    centred = x - x.mean(dim=-1, keepdim=True)
    return centred / centred.std(dim=-1, keepdim=True).clamp_min(1e-8)


def find_flips(detector: AutoencoderDetector, beats: np.ndarray, *, margin: float = 0.01, rounds: int = 7,
               steps: int = 150, learning_rate: float = 0.02) -> list[Flip]:
    """The smallest verdict-flipping change found for each row of ``beats`` (any scale: they are
    z-scored first, as every scored beat is). Flat rows can't be searched: ValueError."""
    threshold = getattr(detector, "threshold_", None)
    if threshold is None:
        raise NotFittedError("the detector has no threshold yet: there is no verdict to flip")
    beats = np.atleast_2d(np.asarray(beats, np.float64))
    if is_flat(beats).any():
        raise ValueError("a flat beat has no shape to change: it is abnormal by rule, whatever its score")
    originals = zscore(beats)
    verdicts = detector.predict(originals)
    model = copy.deepcopy(detector.model_).eval().requires_grad_(False)  # never touch the shared model
    device = next(model.parameters()).device
    x0 = torch.as_tensor(originals, device=device)
    # +1: push an abnormal beat's score down below the threshold; -1: push a normal one's up.
    direction = torch.as_tensor(np.where(verdicts == 1, 1.0, -1.0), dtype=torch.float32, device=device)
    target = threshold * (1 - margin * direction)

    def score(z: torch.Tensor) -> torch.Tensor:
        diff = model(z) - z
        return (diff.abs() if detector.error == "mae" else diff * diff).mean(dim=-1)

    n = len(originals)
    weight = torch.full((n,), 10.0, device=device)
    low, high = torch.zeros(n, device=device), torch.full((n,), float("inf"), device=device)
    best = x0.clone()
    best_distance = torch.full((n,), float("inf"), device=device)
    trace = []
    with torch.no_grad():
        # Where a round restarts when no flip is known yet: from zero for a normal beat, from the
        # model's own reconstruction for an abnormal one (a plain descent on its score can stall
        # in a local minimum far from any normal-looking beat; the reconstruction lies near them).
        fallback = torch.where(direction[:, None] > 0, model(x0) - x0, torch.zeros_like(x0))
    start = torch.zeros_like(x0)
    for _ in range(rounds):
        delta = start.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([delta], lr=learning_rate)
        succeeded = torch.zeros(n, dtype=torch.bool, device=device)
        for _ in range(steps):
            z = _zscore(x0 + delta)
            s = score(z)
            distance = ((z - x0) ** 2).sum(dim=-1)
            gap = direction * (s - target)  # <= 0 once the verdict has flipped with the margin
            loss = (distance + weight * torch.relu(gap) / threshold).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                trace.append(s.detach().cpu().numpy())
                better = (gap <= 0) & (distance < best_distance)
                best[better] = z[better].detach()
                best_distance = torch.where(better, distance.detach(), best_distance)
                succeeded |= gap <= 0
        with torch.no_grad():  # bisect the weight: lower while the flip holds, higher until it does
            high = torch.where(succeeded, torch.minimum(high, weight), high)
            low = torch.where(succeeded, low, torch.maximum(low, weight))
            weight = torch.where(torch.isinf(high), weight * 10, (low + high) / 2)
            # the next round starts from the smallest flip so far, refining it with the new weight
            start = torch.where(torch.isfinite(best_distance)[:, None], best - x0, fallback)
    adversarial = best.cpu().numpy().astype(np.float32)
    adversarial_verdicts = detector.predict(adversarial)
    start_scores, end_scores = detector.decision_function(originals), detector.decision_function(adversarial)
    scores = np.stack(trace, axis=1) if trace else np.empty((n, 0))
    return [Flip(originals[i], adversarial[i], float(start_scores[i]), float(end_scores[i]), float(threshold),
                 int(verdicts[i]), int(adversarial_verdicts[i]), scores[i]) for i in range(n)]
