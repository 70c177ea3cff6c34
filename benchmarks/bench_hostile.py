"""Oversized payloads from one learner: what they cost everyone else (issue 9, row 5).

Run: ECG5000_DIR=/path/to/ecg5000 python -m benchmarks.bench_hostile [--old-limits]

Starts the app (``streamlit run``, 127.0.0.1), then, while one thread times ``/_stcore/health``
every 50 ms and a second learner's session reruns the Thresholds page over and over (its own
websocket, timed from its rerun request to Streamlit's "script finished"), a crafted client
sends, one after another:

- a canvas value of 1,000,000 points (~20 MB) as the Draw page's canvas widget state;
- a canvas value just under the widget-state limit (~0.9 MB, ~60,000 compact points);
- a 199 MB and a 19 MB "CSV" to the upload endpoint.

For each it prints the server CPU seconds it costs (first, on a quiet server: robust to a busy
machine), then what the attacker got back and its own time, and the slowest health check and the
other learner's Thresholds reruns while it ran, next to the same figures with no attack. ``--old-limits`` starts the server with Streamlit's defaults (200 MB messages
and uploads, 25 MB widget state) instead of .streamlit/config.toml's, for an A/B.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from streamlit_server import StreamlitServer, cpu_seconds, data_dir, descendants  # noqa: E402

STREAMLIT_DEFAULT_LIMITS = {"STREAMLIT_SERVER_MAX_MESSAGE_SIZE": "200", "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "200",
                            "STREAMLIT_SERVER_MAX_WIDGET_STATE_SIZE": "25"}


# ---------------------------------------------------------------- a bare Streamlit client


class Session:
    """One browser session spoken to directly: protobuf over the app's websocket."""

    def __init__(self, server: StreamlitServer):
        self.server = server
        self.ws = None
        self.canvas_id: str | None = None
        self.session_id: str | None = None
        self.xsrf: str | None = None

    async def __aenter__(self) -> "Session":
        # The XSRF cookie the health check sets, as a browser would hold it (uploads need it).
        with urllib.request.urlopen(self.server.url + "/_stcore/health", timeout=60) as response:
            cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
        self.xsrf = next((c.split("=", 1)[1] for c in cookies if c.startswith("_streamlit_xsrf=")), None)
        url = self.server.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(url, subprotocols=["streamlit"], max_size=None, origin=self.server.url,
                                           additional_headers={"Cookie": "; ".join(cookies)})
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def run(self, page: str, widget_states: list | None = None, timeout: float = 120) -> float:
        """Rerun ``page`` (with these widget states); seconds until its script finished."""
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = ""
        for state in widget_states or []:
            msg.rerun_script.widget_states.widgets.append(state)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout))
            kind = forward.WhichOneof("type")
            if kind == "new_session":
                self.session_id = forward.new_session.initialize.session_id
            if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "bidi_component":
                self.canvas_id = forward.delta.new_element.bidi_component.id
            if kind == "script_finished" and forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return time.perf_counter() - start

    def canvas_state(self, json_data: dict):
        state = BackMsg().rerun_script.widget_states.widgets.add()
        state.id = self.canvas_id
        state.json_value = json.dumps({"drawing": {"raw": json_data, "data": None}}, separators=(",", ":"))
        return state


def canvas_value(points: int) -> dict:
    """A stroke of ``points`` points; up to 700 of them a real left-to-right wave."""
    path = [["M", 0, 150]] + [["L", i % 700, 150 + 60 * ((i // 35) % 2)] for i in range(1, points)]
    return {"version": "7.4.0", "objects": [{"type": "Path", "path": path}]}


# ---------------------------------------------------------------- what the others feel


class HealthProbe(threading.Thread):
    """``/_stcore/health`` every 50 ms; ``latencies`` since ``mark()``."""

    def __init__(self, server: StreamlitServer):
        super().__init__(daemon=True)
        self.url, self.samples, self.running = server.url + "/_stcore/health", [], True

    def run(self):
        while self.running:
            start = time.perf_counter()
            try:
                urllib.request.urlopen(self.url, timeout=60).read()
            except OSError:
                pass
            self.samples.append((start, time.perf_counter() - start))
            time.sleep(0.05)

    def worst_since(self, t0: float) -> float:
        return max((d for t, d in self.samples if t + d >= t0), default=float("nan"))


class OtherLearner(threading.Thread):
    """Another learner's session rerunning the Thresholds page, in its own thread and event loop
    (so building the attacker's payload never delays it); ``reruns`` holds (start, seconds)."""

    def __init__(self, server: StreamlitServer):
        super().__init__(daemon=True)
        self.server, self.reruns, self.running = server, [], True

    def run(self):
        asyncio.run(self._rerun())

    async def _rerun(self):
        async with Session(self.server) as learner:
            while self.running:
                start = time.perf_counter()
                self.reruns.append((start, await learner.run("thresholds")))


def reruns_since(reruns: list, t0: float) -> str:
    """The other learner's reruns that ended after ``t0``: median and worst, in ms."""
    times = [d for t, d in reruns if t + d >= t0] or [float("nan")]
    return f"{1000 * statistics.median(times):4.0f} / {1000 * max(times):5.0f} ms"


def upload_body(megabytes: int) -> bytes:
    boundary = "bench"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n")
    return head.encode() + b"1," * (megabytes * 2**19) + f"\r\n--{boundary}--\r\n".encode()


def upload(session: Session, body: bytes) -> str:
    """PUT ``body`` to the upload endpoint as the session's file_uploader would."""
    request = urllib.request.Request(f"{session.server.url}/_stcore/upload_file/{session.session_id}/file",
                                     data=body, method="PUT",
                                     headers={"Content-Type": "multipart/form-data; boundary=bench",
                                              "X-Xsrftoken": session.xsrf, "Cookie": f"_streamlit_xsrf={session.xsrf}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except OSError as exc:  # the server answered 413 and closed before the body was sent
        return f"refused ({getattr(exc, 'reason', exc)})"


async def attack(server: StreamlitServer, name: str, health: HealthProbe | None = None,
                 learner: OtherLearner | None = None) -> float:
    """Send ``name``'s payload; print what the others felt (with ``health`` and ``learner``), and
    return the server CPU seconds it cost (on a quiet server, without them)."""
    async with Session(server) as attacker:
        await attacker.run("draw")
        if name.startswith("canvas"):  # payloads are built before the clock starts
            points = 1_000_000 if "1M" in name else 60_000 if "limit" in name else 400
            state = attacker.canvas_state(canvas_value(points))
        elif name.startswith("upload"):
            body = upload_body(int(name.split()[1]))
        pids = descendants(server.process.pid)
        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        if name.startswith("baseline"):
            outcome = ""
            await asyncio.sleep(2.0)
        elif name.startswith("canvas"):
            size = len(state.json_value) / 1e6
            try:
                outcome = f"{size:.1f} MB sent; page rerun {await attacker.run('draw', [state]):.2f} s"
            except websockets.ConnectionClosed as closed:
                outcome = f"{size:.1f} MB sent; connection closed ({closed.rcvd.code if closed.rcvd else '?'})"
        else:
            outcome = await asyncio.to_thread(upload, attacker, body)
        took = time.perf_counter() - t0
        # let anything it started finish: a refused frame's tail still arrives and is read
        await asyncio.sleep(3.0 if learner is None else 1.0)
        cpu = cpu_seconds(pids) - cpu0
    if learner is not None:
        print(f"{name:<24} {outcome:<52} {took:6.2f} s  {1000 * health.worst_since(t0):5.0f} ms  "
              f"{reruns_since(learner.reruns, t0)}", flush=True)
    return cpu


PAYLOADS = ("baseline (nothing sent)", "canvas 1M points", "canvas under the limit", "canvas, a real drawing",
            "upload 199 MB", "upload 19 MB")


async def bench(server: StreamlitServer) -> None:
    print("server CPU seconds per payload, on a quiet server (median of 3; includes 3 s idle after it):")
    for name in PAYLOADS:
        costs = [await attack(server, name) for _ in range(3)]
        print(f"  {name:<24} {statistics.median(costs):6.2f} s", flush=True)
    health, learner = HealthProbe(server), OtherLearner(server)
    health.start()
    learner.start()
    await asyncio.sleep(4)  # warm: the Thresholds page's first run builds its figures
    print(f"{'payload':<24} {'what the sender got':<52} {'took':>8}  {'health':>8}  "
          "other learner's reruns (median / worst)")
    for name in PAYLOADS:
        await attack(server, name, health, learner)
    learner.running = health.running = False
    learner.join(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-limits", action="store_true", help="Streamlit's default limits, for an A/B")
    args = parser.parse_args(argv)
    data = data_dir()
    if data is None:
        sys.exit("ECG5000 not found: set ECG5000_DIR")
    env = STREAMLIT_DEFAULT_LIMITS if args.old_limits else {}
    with StreamlitServer(data, extra_env=env, log_path=ROOT / "test-artifacts" / "bench-hostile-server.log") as server:
        urllib.request.urlopen(server.url + "/", timeout=60).read()
        print(f"limits: {'Streamlit defaults' if args.old_limits else '.streamlit/config.toml'}")
        asyncio.run(bench(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
