"""Oversized payloads: each uploader says the limit the app accepts, and the server's own limits
(.streamlit/config.toml) are no larger than the app needs."""

import tomllib
from pathlib import Path

import numpy as np

from app.composer import MAX_MODEL_MB
from app.drawing_view import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from core.detector import AutoencoderDetector
from core.drawing import MAX_POINTS
from core.model import MAX_LAYERS, MAX_UNITS, AutoencoderSpec
from core.persistence import to_bytes
from core.train import MAX_EPOCHS, TrainConfig

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())["server"]


def uploader_limits(at) -> dict[str, int]:
    return {u.proto.label: u.proto.max_upload_size_mb for u in at.get("file_uploader")}


def test_the_draw_pages_csv_uploader_says_what_it_accepts(open_page):
    at = open_page("pages/draw.py")
    assert uploader_limits(at) == {"CSV of beats": MAX_UPLOAD_MB}
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 2**20  # Streamlit's "MB" in the widget is 2**20 bytes


def test_the_model_uploader_takes_the_largest_model_file_the_app_writes(open_page):
    at = open_page("pages/train.py")
    assert uploader_limits(at) == {"Load a model file saved by this app": MAX_MODEL_MB}
    largest = AutoencoderDetector(AutoencoderSpec((MAX_UNITS,) * MAX_LAYERS), TrainConfig(epochs=1))
    largest.fit(np.zeros((4, 140), np.float32))
    largest.history_[:] = [{"epoch": e, "train_loss": 0.123456789, "val_loss": 0.123456789}
                           for e in range(1, MAX_EPOCHS + 1)]
    size = len(to_bytes(largest, {"test_auc": 0.5}))
    assert 0.9 * MAX_MODEL_MB * 2**20 < size < MAX_MODEL_MB * 2**20


def test_the_server_accepts_no_more_than_the_largest_uploader_and_small_widget_messages():
    assert CONFIG["maxUploadSize"] == max(MAX_MODEL_MB, MAX_UPLOAD_MB)
    # A drawing of the most points the canvas reader takes, as Fabric writes it, still fits.
    assert CONFIG["maxWidgetStateSize"] * 1e6 > MAX_POINTS * len('["Q",123.45,67.89,124.5,68.1],')
    assert CONFIG["maxWidgetStateSize"] <= 1 and CONFIG["maxMessageSize"] <= 4
    assert CONFIG["enableAgentApi"] is False
