"""A symmetric dense autoencoder built from the encoder's layer list.

``AutoencoderSpec(encoder_units=(32, 16, 8))`` builds
140 -> 32 -> 16 -> 8 (bottleneck) -> 16 -> 32 -> 140; the decoder is the mirror.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from core.data import SERIES_LENGTH

ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU}
OUTPUT_ACTIVATIONS = {"linear": nn.Identity, **ACTIVATIONS}
MAX_LAYERS = 10
MAX_UNITS = 512


@dataclass(frozen=True)
class AutoencoderSpec:
    """What to build. ``encoder_units`` lists the encoder's layer widths; the last is the bottleneck.

    The default 32-8 had the best mean validation AUC (0.996 over 5 seeds, test 0.997) of the
    layer lists in ``benchmarks/sweep_architectures.py``, and trains fastest but one.
    The output is linear by default because the beats are z-scored (unbounded, roughly -7..7):
    a sigmoid output, as in Anomagram, only fits min-max scaled data.
    """

    encoder_units: tuple[int, ...] = (32, 8)
    input_size: int = SERIES_LENGTH
    activation: str = "relu"
    output_activation: str = "linear"

    def __post_init__(self):
        units = tuple(self.encoder_units)
        object.__setattr__(self, "encoder_units", units)  # accept lists, store a hashable tuple
        if not 1 <= len(units) <= MAX_LAYERS:
            raise ValueError(f"the encoder needs 1 to {MAX_LAYERS} layers, got {len(units)}")
        for i, n in enumerate(units, start=1):
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_UNITS:
                raise ValueError(f"layer {i} must have 1 to {MAX_UNITS} units (a whole number), got {n!r}")
        if not isinstance(self.input_size, int) or self.input_size < 2:
            raise ValueError(f"input size must be a whole number >= 2, got {self.input_size!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output activation must be one of {', '.join(OUTPUT_ACTIVATIONS)}, "
                             f"got {self.output_activation!r}")

    @property
    def widths(self) -> list[int]:
        """Every layer's width, input to output: [140, 32, 16, 8, 16, 32, 140]."""
        return [self.input_size, *self.encoder_units, *reversed(self.encoder_units[:-1]), self.input_size]

    @property
    def bottleneck(self) -> int:
        return self.encoder_units[-1]

    @property
    def param_count(self) -> int:
        """Weights plus biases of every dense layer (computed, no module built)."""
        w = self.widths
        return sum(a * b + b for a, b in zip(w[:-1], w[1:]))

    def to_dict(self) -> dict:
        return {**asdict(self), "encoder_units": list(self.encoder_units)}

    @classmethod
    def from_dict(cls, d: dict) -> "AutoencoderSpec":
        return cls(**{**d, "encoder_units": tuple(d["encoder_units"])})


class Autoencoder(nn.Module):
    """Dense encoder and its mirror decoder; every hidden layer (bottleneck too) is activated."""

    def __init__(self, spec: AutoencoderSpec):
        super().__init__()
        self.spec = spec
        w = spec.widths
        depth = len(spec.encoder_units)
        self.encoder = _dense_stack(w[: depth + 1], spec.activation, spec.activation)
        self.decoder = _dense_stack(w[depth:], spec.activation, spec.output_activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (n, 140) -> (n, bottleneck)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (n, bottleneck) -> (n, 140)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def _dense_stack(widths: list[int], hidden: str, last: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        is_last = i == len(widths) - 2
        layers.append(OUTPUT_ACTIVATIONS[last]() if is_last else ACTIVATIONS[hidden]())
    return nn.Sequential(*layers)
