"""The worker side of ``core.jobs``: the loop each worker process runs, the context a job gets,
and the pool's handle on a worker process (``WorkerProcess``); how many workers by default.

A worker warms up once (loads the split, and whatever ``warm`` does), says "ready", then runs jobs
one at a time: ``("job", id, (fn, args, commands))`` in, ``("event" | "done" | "failed" |
"cancelled", id, payload)`` out, on one pipe to the server's pool.
"""

from __future__ import annotations

import os
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.jobs import Job


class JobCancelled(Exception):
    """Raised in a worker by ``ctx.commands()`` once its job was cancelled."""


class WorkerContext:
    """What a job's function gets in the worker: the split, progress events and commands."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._job_id = None
        self._split = None
        self._pending: list = []

    @property
    def split(self):
        """The ECG5000 split, loaded once per worker (the same split the server uses)."""
        if self._split is None:
            from core.data import split_beats
            from core.ucr import load_ucr

            self._split = split_beats(load_ucr(download=True))
        return self._split

    def emit(self, event) -> None:
        self._conn.send(("event", self._job_id, event))

    def commands(self) -> list:
        """Commands sent to this job since the last call; ``JobCancelled`` after a cancel."""
        commands, self._pending = self._pending, []
        while self._conn.poll():
            kind, job_id, payload = self._conn.recv()
            if kind == "command" and job_id == self._job_id:
                commands.append(payload)
        if "cancel" in commands:
            raise JobCancelled()
        return commands


def worker_main(conn: Connection, warm) -> None:
    import signal

    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which then stops its workers
    torch.set_num_threads(1)  # one intra-op thread: fastest for these tiny models, and fair to the others
    ctx = WorkerContext(conn)
    if warm:
        try:
            warm(ctx)
        except Exception:  # e.g. no data yet: a job that needs it will say why
            pass
    conn.send(("ready", None, os.getpid()))
    while True:
        try:
            kind, job_id, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "shutdown":
            return
        if kind != "job":
            continue  # a command for a job that has already ended
        fn, args, commands = payload
        ctx._job_id, ctx._pending = job_id, list(commands)
        try:
            conn.send(("done", job_id, fn(ctx, *args)))
        except JobCancelled:
            conn.send(("cancelled", job_id, None))
        except Exception as exc:
            conn.send(("failed", job_id, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))


def load_split_once(ctx: WorkerContext) -> None:
    """The default warm-up: every worker reads the dataset before its first job."""
    ctx.split


WORKERS_ENV = "ECG_TRAINING_WORKERS"


def default_workers() -> int:
    """``ECG_TRAINING_WORKERS`` if set (a whole number >= 1), else the usable CPU cores."""
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{WORKERS_ENV} must be a whole number >= 1, got {text!r}")
        return int(text)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerProcess:
    """The pool's handle on one worker process (started here): its pipe, its job, whether it is warm."""

    def __init__(self, context, warm):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=worker_main, args=(child, warm), daemon=True,
                                       name="ecg-training-worker")
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.ready = False
