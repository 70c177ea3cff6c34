"""What every session needs, built once per server process: the data split and the default model.

These are plain process-level objects, not ``st.cache_resource`` entries: any browser can clear
Streamlit's caches with one websocket message (``clear_cache``), and a class of learners would
then wait while they are rebuilt, again and again if someone loops it. They are built in a
background thread that the server starts at start-up (streamlit_app.py's lifespan hook, which
lets visitors in once they are ready, or after a minute at most), so the first visitor does not
wait for them; a page that arrives earlier shows what is being done (``Preparation.stage``). Their arrays are read-only: every session shares
them. A failure (no data, no network) is kept until someone asks to ``retry``: reruns do not
repeat a download that is bound to fail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields, is_dataclass
from typing import Callable

import numpy as np
from streamlit.logger import get_logger

from app.models import TrainedModel, train_model
from core.data import Split, split_beats
from core.model import AutoencoderSpec
from core.train import TrainConfig
from core.ucr import load_ucr

DEFAULT_LABEL = "Default model"
LOG = get_logger(__name__)  # with Streamlit's own lines: an instructor sees when the app is ready

Report = Callable[[str, float | None], None]  # (what is being done, fraction done or None)


@dataclass(frozen=True)
class Shared:
    split: Split
    default_model: TrainedModel


def build_shared(report: Report) -> Shared:
    """Load (downloading if needed) and split ECG5000, then train the default model."""
    report("Reading the ECG5000 heartbeats", None)

    def on_download(done: int, total: int) -> None:
        report(f"Downloading ECG5000 from the UCR archive: {done / 1e6:.1f}"
               + (f" of {total / 1e6:.1f} MB" if total else " MB"), done / total if total else None)

    split = split_beats(load_ucr(download=True, progress=on_download))
    freeze(split)
    config = TrainConfig()

    def on_epoch(epoch: int) -> None:
        report(f"Training the default model, the one every page starts with: epoch {epoch} of "
               f"{config.epochs}", epoch / config.epochs)

    model = train_model(split, AutoencoderSpec(), config, label=DEFAULT_LABEL, record_replay=True,
                        on_epoch=on_epoch)
    freeze(model)
    return Shared(split, model)


def freeze(value) -> None:
    """Make every numpy array in ``value`` (dataclasses, tuples, lists, dicts of them) read-only."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            freeze(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            freeze(item)
    elif isinstance(value, dict):
        for item in value.values():
            freeze(item)


class Preparation:
    """Builds ``Shared`` once in a background thread; ``wait`` for it, or read ``stage`` meanwhile."""

    def __init__(self, build: Callable[[Report], Shared] = build_shared):
        self._build = build
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.stage = "Starting up"
        self.fraction: float | None = None
        self.result: Shared | None = None
        self.error: Exception | None = None

    @property
    def ready(self) -> bool:
        return self.result is not None

    def start(self) -> None:
        """Start building, unless it is built, being built, or has failed (see ``retry``)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prepare-shared", daemon=True)
                self._thread.start()

    def retry(self) -> None:
        """After a failure, build again (e.g. once the data has been put in place)."""
        with self._lock:
            if self.error is None:
                return
            self.error, self._thread = None, None
            self.stage, self.fraction = "Starting again", None
        self.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Start if needed and wait up to ``timeout`` s; True once it has finished (built or failed)."""
        self.start()
        with self._lock:
            thread = self._thread
        thread.join(timeout)
        return not thread.is_alive()

    def get(self) -> Shared:
        """The shared objects, waiting for them; raises the build's error if it failed."""
        self.wait()
        if self.error is not None:
            raise self.error
        return self.result

    def _report(self, stage: str, fraction: float | None) -> None:
        self.stage, self.fraction = stage, fraction

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.result = self._build(self._report)
        except Exception as exc:  # kept for the pages to explain; a retry clears it
            self.error = exc
            LOG.warning("Could not prepare the data and the default model: %s", exc)
        else:
            LOG.info("Data split and default model ready for every session (%.1f s)",
                     time.perf_counter() - started)


PREPARATION = Preparation()
