"""Start N app replicas and HAProxy in front of them on 127.0.0.1; stop them by their PIDs.

    python deploy/replicas.py start --replicas 3 --port 8600   # learners open http://127.0.0.1:8600
    python deploy/replicas.py stop                             # stops what `start` started

Each replica is ``streamlit run streamlit_app.py`` on its own port with ``ECG_REPLICA_NAME``
set (app1, app2 ...) and a share of the CPU cores as training workers (``ECG_TRAINING_WORKERS``);
HAProxy runs ``deploy/haproxy.cfg`` with one ``server`` line per replica. ``start`` waits until
every replica answers ``/_stcore/health`` and writes the PIDs to ``deploy/.replicas.json``;
``stop`` terminates exactly those processes (and their process groups: a replica's training
workers) and nothing else. The same ``Replicas`` class serves the browser test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "haproxy.cfg"
STATE = ROOT / "deploy" / ".replicas.json"
HAPROXY = "/usr/sbin/haproxy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(ports: dict[str, int]) -> str:
    """deploy/haproxy.cfg with a ``server`` line per replica (name -> port)."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{port} cookie {name} check" for name, port in ports.items())
    return CONFIG.read_text().replace("    # REPLICAS", servers)


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class Replicas:
    """``with Replicas(3) as r: r.url ...``: N replicas and HAProxy, all stopped at the end."""

    def __init__(self, count: int, port: int | None = None, *, log_dir: Path | None = None,
                 env: dict[str, str] | None = None):
        self.count, self.port = count, port or free_port()
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="ecg-replicas-"))
        self.env = env or {}
        self.ports = {f"app{i}": free_port() for i in range(1, count + 1)}
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> "Replicas":
        workers = max(1, (os.cpu_count() or 1) // self.count)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name, port in self.ports.items():
                env = {"ECG_REPLICA_NAME": name, "ECG_TRAINING_WORKERS": str(workers), **self.env}
                self.processes[name] = self._spawn(
                    [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                     "--server.address", "127.0.0.1", "--server.headless", "true",
                     "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"], name, env)
            config = self.log_dir / "haproxy.cfg"
            config.write_text(haproxy_config(self.ports))
            self.processes["haproxy"] = self._spawn([HAPROXY, "-W", "-db", "-f", str(config)], "haproxy",
                                                    {"ECG_LB_PORT": str(self.port)})
            self.wait(lambda: all(healthy(f"http://127.0.0.1:{p}") for p in self.ports.values())
                      and healthy(self.url), timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, command: list[str], name: str, env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group: stopping it stops its workers too

    def wait(self, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited; see the logs in {self.log_dir}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replicas were not healthy within {timeout:.0f} s; logs: {self.log_dir}")
            time.sleep(0.2)

    def stop_one(self, name: str) -> None:
        """Stop one process (a replica or "haproxy") and its process group by PID."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=grace)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_one(name)

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items()}

    def __enter__(self) -> "Replicas":
        return self.start() if not self.processes else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start N replicas and HAProxy, print the address, return")
    start.add_argument("--replicas", type=int, default=2)
    start.add_argument("--port", type=int, default=8600, help="the balancer's port (default 8600)")
    sub.add_parser("stop", help="stop the processes the last `start` started")
    args = parser.parse_args()
    if args.command == "start":
        replicas = Replicas(args.replicas, args.port, log_dir=ROOT / "deploy" / "logs").start()
        STATE.write_text(json.dumps(replicas.pids()))
        print(f"{args.replicas} replicas behind {replicas.url} (PIDs in {STATE}, logs in {replicas.log_dir})")
        return 0
    if not STATE.is_file():
        print("nothing to stop: no deploy/.replicas.json", file=sys.stderr)
        return 1
    for name, pid in json.loads(STATE.read_text()).items():
        try:
            os.killpg(pid, signal.SIGTERM)  # each was started as its own process group leader
            print(f"stopped {name} (PID {pid})")
        except ProcessLookupError:
            print(f"{name} (PID {pid}) had already stopped")
    STATE.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
