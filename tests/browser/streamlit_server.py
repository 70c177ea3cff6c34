"""The app served by ``streamlit run`` for the browser tests and benchmarks, and what it costs.

- ``StreamlitServer`` starts ``streamlit run streamlit_app.py`` on 127.0.0.1 (a free port) with the
  venv's python and the real data, waits for ``/_stcore/health`` and always stops it (terminate,
  then kill; its whole process group), and measures its memory (VmRSS of it and its children).
- ``PeakMemory`` and ``cpu_seconds`` measure the server (and the browser) while something runs.

No pytest and no browser in here.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SHARED_DATA = ROOT.parent / "shared" / "data" / "ecg5000"


# ---------------------------------------------------------------- environment


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def data_dir() -> Path | None:
    """ECG5000_DIR, else the workplace copy ../shared/data/ecg5000; None when neither holds the files."""
    folder = Path(os.environ.get("ECG5000_DIR") or SHARED_DATA)
    ok = (folder / "ECG5000_TRAIN.txt").is_file() and (folder / "ECG5000_TEST.txt").is_file()
    return folder.resolve() if ok else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the server


class StreamlitServer:
    """``with StreamlitServer(data) as server: ...``: the app on 127.0.0.1, stopped whatever happens."""

    def __init__(self, data: Path, *, port: int | None = None, log_path: Path | None = None,
                 extra_env: dict[str, str] | None = None):
        self.data = Path(data)
        self.port = port or free_port()
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.started_at: float | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, path: str = "/") -> str:
        return self.url + "/" + path.lstrip("/")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--server.headless", "true",
                # the page files may change while we run (other people are editing them): never
                # watch or rerun on save; no usage statistics from a test machine
                "--server.fileWatcherType", "none", "--server.runOnSave", "false",
                "--browser.gatherUsageStats", "false"]

    def start(self, timeout: float = 120.0) -> "StreamlitServer":
        env = {**os.environ, "ECG5000_DIR": str(self.data), "PYTHONUNBUFFERED": "1", **self.extra_env}
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "w")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                        start_new_session=True,  # its own group: stop() gets children too
                                        preexec_fn=_die_with_parent)
        atexit.register(self.stop)  # a run that ends without teardown (sys.exit, an error) still stops it
        try:
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode} before it was "
                                   f"healthy; see {self.log_path or 'its output'}:\n{self.log_tail()}")
            if self.healthy(timeout=2.0):
                return
            time.sleep(0.1)
        raise TimeoutError(f"streamlit did not answer {self.url}/_stcore/health within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def healthy(self, timeout: float = 5.0) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=timeout) as response:
                return response.status == 200 and response.read().strip() == b"ok"
        except OSError:
            return False

    def log_tail(self, chars: int = 3000) -> str:
        if not self.log_path or not self.log_path.is_file():
            return ""
        if self._log:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Terminate the server's process group, then kill it if it lingers. Idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            try:  # anything left in the group (its children) goes too
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "StreamlitServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------ memory

    def pids(self) -> list[int]:
        return _descendants(self.process.pid) if self.process else []

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its descendants (VmRSS from /proc), in bytes."""
        if self.process is None:
            return 0
        return sum(_vm_rss(pid) for pid in _descendants(self.process.pid))


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it if the process that started it dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: stop() and atexit still apply


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by ``pids`` (those still alive), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    return _descendants(root)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # after "(comm) state"
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _vm_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakMemory:
    """``with PeakMemory(server) as peak: ...; peak.bytes``: samples the server's RSS in a thread."""

    def __init__(self, server: StreamlitServer, every: float = 0.1):
        self.server, self.every = server, every
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.bytes = max(self.bytes, self.server.rss_bytes())
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.bytes = max(self.bytes, self.server.rss_bytes())
