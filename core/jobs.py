"""A pool of warm worker processes with a fair queue: trainings off the server's GIL.

Usage (UI-free; the Train page and the experiments go through the same pool)::

    pool = shared_pool()                       # started once per process, workers stay warm
    job = pool.submit(owner, fn, *args)        # fn(ctx, *args) runs in a worker process
    job.status      # "queued" | "running" | "done" | "failed" | "cancelled"
    job.worker_pid  # the worker process running it (None unless it runs)
    job.position    # jobs that start before it (0 = next), None once it runs
    pool.wait_estimate(job)  # rough seconds until it starts
    job.events_since(n)      # progress events the job sent with ctx.emit(...), from the n-th on
    job.send("pause")        # a command the running fn reads with ctx.commands()
    job.cancel()    # a queued job leaves the line; a running one stops at its next ctx.commands()
    job.wait(timeout); job.result / job.error

- ``fn`` and ``args`` must be picklable (a module-level function); ``fn`` receives a
  ``WorkerContext``: ``ctx.split`` (the ECG5000 split, loaded once per worker), ``ctx.emit(event)``
  and ``ctx.commands()`` (raises ``JobCancelled`` after a cancel).
- Fairness (``core.fair_queue``): each owner (a browser session, an experiment) has its own line; owners take turns,
  one job per turn, in the order they arrived. ``submit(..., replace=True)`` drops the owner's
  queued jobs and cancels its running one: the new job keeps a queued job's place in line.
- A worker that dies (crash, kill) fails its job with a readable ``error`` and is replaced;
  other jobs are unaffected.
- Workers: ``ECG_TRAINING_WORKERS`` (default: the CPU cores this process may use), started with
  the ``forkserver`` method (torch imported once, then each worker is a cheap fork), one torch
  thread each.

The core library never needs the pool: ``core.evaluation`` trains in the calling process.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing as mp
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from core.fair_queue import FairQueue
from core.job_worker import JobCancelled, WorkerContext, WorkerProcess, default_workers, load_split_once

__all__ = ["CRASH_MESSAGE", "Job", "JobCancelled", "JobPool", "WorkerContext", "shared_pool"]

CRASH_MESSAGE = ("the server process running it ended unexpectedly (out of memory, or stopped by an "
                 "administrator)")


class Job:
    """One unit of work in the pool; read its fields, never set them (the pool does)."""

    def __init__(self, pool: "JobPool", owner, fn, args: tuple):
        self.id = next(pool._ids)
        self.owner, self.fn, self.args = owner, fn, args
        self.status = "queued"
        self.result = None
        self.error: str | None = None
        self.submitted_at = time.monotonic()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._pool = pool
        self._events: list = []
        self._done = threading.Event()
        self._worker: WorkerProcess | None = None

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def worker_pid(self) -> int | None:
        """The process id of the worker running this job; None while it is queued or once it has ended."""
        worker = self._worker
        return worker.process.pid if worker is not None and self.status == "running" else None

    @property
    def position(self) -> int | None:
        return self._pool._position(self)

    def events_since(self, index: int) -> list:
        return self._events[index:]

    def send(self, command) -> None:
        """Pass ``command`` to the running job (ignored once it has ended, queued until it starts)."""
        self._pool._send(self, command)

    def cancel(self) -> None:
        self._pool._cancel(self)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def __repr__(self) -> str:
        return f"Job({self.id}, owner={self.owner!r}, {self.status})"


class JobPool:
    """``workers`` warm processes and a fair queue; see the module docstring."""

    def __init__(self, workers: int | None = None, *, warm=load_split_once,
                 preload: tuple[str, ...] = ("core.jobs", "core.training_job")):
        self.workers = workers or default_workers()
        self._context = mp.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._warm = warm
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._queue = FairQueue()
        self._pending_commands: dict[int, list] = {}
        self._durations: deque = deque(maxlen=20)
        self._wake_r, self._wake_w = mp.Pipe(duplex=False)
        self._closed = False
        self._pool = [WorkerProcess(self._context, warm) for _ in range(self.workers)]
        self._thread = threading.Thread(target=self._dispatch_loop, name="job-pool", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ public

    def submit(self, owner, fn, *args, replace: bool = False) -> Job:
        job = Job(self, owner, fn, args)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job pool is shut down")
            if replace:
                for worker in self._pool:
                    if worker.job is not None and worker.job.owner == owner:
                        self._cancel(worker.job)
                for old in self._queue.clear(owner):
                    self._finish(old, "cancelled")
            self._queue.add(job)
        self._wake()
        return job

    def jobs_of(self, owner) -> list[Job]:
        """The owner's active jobs: running ones first, then its queued ones in order."""
        with self._lock:
            running = [w.job for w in self._pool if w.job is not None and w.job.owner == owner]
            return running + self._queue.of(owner)

    @property
    def running(self) -> int:
        with self._lock:
            return sum(w.job is not None for w in self._pool)

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def mean_job_seconds(self, default: float = 1.0) -> float:
        with self._lock:
            return sum(self._durations) / len(self._durations) if self._durations else default

    def wait_estimate(self, job: Job) -> float:
        """Rough seconds until ``job`` starts: the jobs before it (and the running ones, half done
        on average) shared out over the workers."""
        ahead = job.position
        if ahead is None:
            return 0.0
        return (ahead + 0.5 * self.running) * self.mean_job_seconds() / self.workers

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._pool if w.process.pid is not None]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """True once every worker has warmed up (loaded the split) and reported ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(w.ready for w in self._pool):
                    return True
            time.sleep(0.05)
        return False

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._drop_queue("cancelled")
        self._wake()
        self._thread.join(timeout)
        for worker in self._pool:
            try:
                worker.conn.send(("shutdown", None, None))
            except (OSError, ValueError):
                pass
        for worker in self._pool:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout)

    # ------------------------------------------------------------ queue

    def _position(self, job: Job) -> int | None:
        with self._lock:
            return self._queue.position(job) if job.status == "queued" else None

    def _drop_queue(self, status: str, error: str | None = None) -> None:
        for job in self._queue.drain():
            self._finish(job, status, error=error)

    def _cancel(self, job: Job) -> None:
        with self._lock:
            if job.status == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled")
            elif job.status == "running":
                self._send(job, "cancel")

    def _send(self, job: Job, command) -> None:
        with self._lock:
            if job.status == "queued":
                self._pending_commands.setdefault(job.id, []).append(command)
            elif job.status == "running" and job._worker is not None:
                try:
                    job._worker.conn.send(("command", job.id, command))
                except (OSError, ValueError):
                    pass  # the worker is gone: its sentinel reports it

    def _finish(self, job: Job, status: str, result=None, error: str | None = None) -> None:
        job.status, job.result, job.error = status, result, error
        job.finished_at = time.monotonic()
        self._pending_commands.pop(job.id, None)
        if status == "done" and job.started_at is not None:
            self._durations.append(job.finished_at - job.started_at)
        job._done.set()

    # ------------------------------------------------------------ the dispatcher thread

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"!")
        except (OSError, ValueError):
            pass

    def _dispatch_loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                self._start_jobs()
                waitables = {self._wake_r: None}
                for worker in self._pool:
                    waitables[worker.conn] = worker
                    waitables[worker.process.sentinel] = worker
            for ready in wait(list(waitables)):
                worker = waitables[ready]
                if worker is None:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                elif ready is worker.conn:
                    self._receive(worker)
                else:
                    self._replace(worker)

    def _start_jobs(self) -> None:
        for worker in self._pool:
            if worker.job is not None or not worker.process.is_alive():
                continue
            job = self._queue.pop()
            if job is None:
                return
            job.status, job.started_at, job._worker, worker.job = "running", time.monotonic(), worker, job
            commands = self._pending_commands.pop(job.id, [])
            try:
                worker.conn.send(("job", job.id, (job.fn, job.args, commands)))
            except Exception as exc:  # e.g. an argument that can't be pickled: that job fails alone
                worker.job = None
                self._finish(job, "failed", error=f"the job could not be sent to a worker: {exc}")

    def _receive(self, worker: WorkerProcess) -> bool:
        """Handle one message from ``worker``; False when its pipe is closed (the process is gone)."""
        try:
            kind, job_id, payload = worker.conn.recv()
        except (EOFError, OSError):
            return False  # the sentinel tells us the process is gone
        with self._lock:
            job = worker.job
            if kind == "ready":
                worker.ready = True
            elif job is None or job.id != job_id:
                pass
            elif kind == "event":
                job._events.append(payload)
            else:
                worker.job = None
                self._finish(job, kind, result=payload if kind == "done" else None,
                             error=payload if kind == "failed" else None)
        return True

    def _replace(self, worker: WorkerProcess) -> None:
        with self._lock:
            while worker.conn.poll() and self._receive(worker):  # what it sent before it died still counts
                pass
            job, worker.job = worker.job, None
            if job is not None and job.active:
                self._finish(job, "failed", error=CRASH_MESSAGE)
            index = self._pool.index(worker)
            worker.conn.close()
            worker.process.join(1.0)
            if not worker.ready:
                time.sleep(1.0)  # it died while starting: don't restart it in a tight loop
            if self._closed:
                return
            try:
                self._pool[index] = WorkerProcess(self._context, self._warm)
            except OSError:  # no process can start (the interpreter is exiting): the pool ends here
                self._closed = True
                self._drop_queue("failed", CRASH_MESSAGE)


_shared: JobPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> JobPool:
    """The process's pool, started on first use (a server starts it at start-up)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            from core.training_job import warm_worker

            _shared = JobPool(warm=warm_worker)
            atexit.register(_shared.shutdown)  # before multiprocessing's own exit handler kills the workers
        return _shared
