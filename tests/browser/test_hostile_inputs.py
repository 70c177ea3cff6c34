"""Hostile inputs in a real browser: what a mischievous learner supplies is shown as text, and
odd addresses get an answer.

A model file whose name or metadata holds markdown (a remote image, a link) is uploaded on the
Train page; every page that names the model in use shows the characters as written, renders no
<img> or <a> from them, and the browser never contacts the URL (a local listener counts hits).
A link with extra path segments gets a "page not found" page that leads back into the app, and
the server's metrics endpoint is not public.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect
from safetensors import safe_open
from safetensors.torch import save

from app.text import WORD_JOINER
from browser_harness import assert_no_error_shown, badge, open_page, rerun
from core.detector import AutoencoderDetector
from core.model import AutoencoderSpec
from core.persistence import to_bytes
from core.train import TrainConfig
from streamlit_server import free_port


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local HTTP server that records every request: the URL the crafted markdown points at."""
    hits: list[str] = []
    handler = type("Recorder", (_Listener,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def small_model_file(split) -> bytes:
    detector = AutoencoderDetector(AutoencoderSpec((8,)), TrainConfig(epochs=2)).fit(split.train.normal[:200])
    detector.calibrate(detector.decision_function(split.validation.x), split.validation.is_anomaly)
    return to_bytes(detector)


def with_metadata(data: bytes, **changes: str) -> bytes:
    """The model file ``data`` with some metadata fields replaced (what a crafted file holds)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".safetensors") as tmp:
        tmp.write(data)
        tmp.flush()
        with safe_open(tmp.name, framework="pt") as f:
            metadata = {**f.metadata(), **changes}
            weights = {k: f.get_tensor(k) for k in f.keys()}
    return save(weights, metadata=metadata)


def upload_model(page, name: str, data: bytes) -> None:
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Load a model file")
    rerun(page, lambda: uploader.locator('input[type="file"]').set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}))


def as_read(text: str) -> str:
    """What a learner reads (the word joiners that keep URLs from becoming links are invisible)."""
    return text.replace(WORD_JOINER, "")


def injected_elements(page, port: int) -> int:
    """<img> and <a> elements on the page that point at the listener's port."""
    return page.evaluate("""(port) => [...document.querySelectorAll('img, a')]
        .filter((e) => (e.getAttribute('src') || e.getAttribute('href') || '').includes(':' + port)).length""",
                         port)


def test_a_model_file_name_with_markdown_is_shown_as_text_on_every_page(page, server, listener,
                                                                         small_model_file):
    port, hits = listener
    name = f"![x](http://127.0.0.1:{port}/ping) [link](http://127.0.0.1:{port}/link).safetensors"
    open_page(page, server, "/train")
    upload_model(page, name, small_model_file)
    page.get_by_text("it is now the model on every page").first.wait_for()
    for title in ("Train a model", "Thresholds & ROC", "Draw a beat", "Introduction"):
        if title != "Train a model":
            rerun(page, lambda: page.get_by_test_id("stTopNav").get_by_role("link", name=title).click())
        assert f"![x](http://127.0.0.1:{port}/ping)" in as_read(badge(page)), title
        assert injected_elements(page, port) == 0, title
        assert_no_error_shown(page)
    assert hits == [], f"the browser fetched {hits}"


def test_markdown_in_a_refused_model_files_metadata_is_shown_as_text(page, server, listener, small_model_file):
    port, hits = listener
    markdown = f"![x](http://127.0.0.1:{port}/ping) [link](http://127.0.0.1:{port}/)"
    crafted = with_metadata(small_model_file, config=json.dumps({**TrainConfig().to_dict(), "optimizer": markdown}))
    open_page(page, server, "/train")
    before = badge(page)
    upload_model(page, "crafted.safetensors", crafted)
    refusal = page.locator('[data-testid="stAlert"]').filter(has_text="Could not load this model")
    refusal.wait_for()
    assert f"http://127.0.0.1:{port}/ping" in as_read(refusal.inner_text())
    assert injected_elements(page, port) == 0
    assert badge(page) == before
    assert hits == [], f"the browser fetched {hits}"


# ---------------------------------------------------------------- addresses


def test_a_page_address_with_extra_segments_is_not_found_with_a_way_back(page, server):
    response = page.goto(server.page_url("/draw/x"), wait_until="domcontentloaded")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "/draw/x" in page.locator("body").inner_text()
    page.get_by_role("link", name="Draw a beat").click()
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(re.compile("Draw a heartbeat"))
    assert urllib.parse.urlparse(page.url).path == "/draw"
    assert_no_error_shown(page)


def test_the_metrics_endpoint_is_not_public(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.url + "/_stcore/metrics", timeout=30)
    assert refused.value.code == 404
    with urllib.request.urlopen(server.url + "/_stcore/health", timeout=30) as health:
        assert health.status == 200


@pytest.mark.parametrize("history", [{"epoch": 1}, [1, 2, 3], [{"epoch": 1, "train_loss": "0.1", "val_loss": None}]],
                         ids=["a dict", "a list of ints", "string losses"])
def test_a_model_file_with_a_malformed_history_is_refused_and_the_uploader_stays(page, server, small_model_file,
                                                                                history):
    """Issue 9 row 2: such a file used to become the model in use; the Train page then showed an error
    on every visit and lost its uploader."""
    crafted = with_metadata(small_model_file, history=json.dumps(history))
    open_page(page, server, "/train")
    before = badge(page)
    upload_model(page, "crafted.safetensors", crafted)
    refusal = page.locator('[data-testid="stAlert"]').filter(has_text="Could not load this model")
    refusal.wait_for()
    assert "crafted.safetensors is damaged or does not match its own description: history" in refusal.inner_text()
    assert "The model in use did not change." in refusal.inner_text()
    assert badge(page) == before
    assert_no_error_shown(page)
    for title in ("Draw a beat", "Train a model"):  # the next visit: the same model, the uploader still there
        rerun(page, lambda: page.get_by_test_id("stTopNav").get_by_role("link", name=title).click())
    expect(page.locator('[data-testid="stFileUploader"]').filter(has_text="Load a model file")).to_be_visible()
    assert badge(page) == before
    assert_no_error_shown(page)
