"""Training recipes: a network, how to train it, and what it trains on, as one named value.

The experiments compare recipes: the app's default (the same defaults as ``python -m core
train``), Anomagram's small one, and whatever a learner composed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from core.data import Composition
from core.model import AutoencoderSpec
from core.train import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """``train_size=None``: as many beats as the pool allows (see ``Composition``).

    The seed lives in ``config.seed`` and also draws the training set, as in the CLI and the
    Train page, so one seed reproduces one run.
    """

    name: str
    spec: AutoencoderSpec = field(default_factory=AutoencoderSpec)
    config: TrainConfig = field(default_factory=TrainConfig)
    train_size: int | None = None
    abnormal_fraction: float = 0.0

    def __post_init__(self):
        self.composition  # validates size and fraction with Composition's own messages

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def composition(self) -> Composition:
        return Composition(self.train_size, self.abnormal_fraction, seed=self.config.seed)

    def with_seed(self, seed: int) -> "Recipe":
        return replace(self, config=replace(self.config, seed=seed))

    def with_abnormal_fraction(self, fraction: float) -> "Recipe":
        return replace(self, abnormal_fraction=fraction)

    def describe(self) -> str:
        c = self.config
        size = "all normal beats" if self.train_size is None else f"{self.train_size} beats"
        return (f"{'-'.join(map(str, self.spec.encoder_units))}, {c.optimizer} lr {c.learning_rate:g}, "
                f"batch {c.batch_size}, {c.epochs} epochs, {size}")


DEFAULT = Recipe("default")
# Anomagram's defaults (encoder 7-3, bottleneck 2; batch 512; 30 steps of one epoch; 500 rows).
ANOMAGRAM_SMALL = Recipe("anomagram-small", AutoencoderSpec((7, 3, 2)),
                         TrainConfig(batch_size=512, epochs=30), train_size=500)
NAMED = {recipe.name: recipe for recipe in (DEFAULT, ANOMAGRAM_SMALL)}
