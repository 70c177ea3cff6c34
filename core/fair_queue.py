"""The pool's waiting line (``core.jobs``): each owner has its own line, owners take turns.

An owner is a browser session or an experiment. Owners get turns in the order they arrived, one
job per turn, so a learner who queued five jobs can't hold back one who queued a single job.
Not locked: the pool calls it under its own lock.
"""

from __future__ import annotations

from collections import deque


class FairQueue:
    """Queued jobs (anything with an ``owner``), handed out one owner's turn at a time."""

    def __init__(self):
        self._lines: dict = {}          # owner -> deque of its queued jobs
        self._turns: deque = deque()    # owners with queued jobs, in the order they get a turn

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def add(self, job) -> None:
        line = self._lines.get(job.owner)
        if line is None:
            line = self._lines[job.owner] = deque()
            self._turns.append(job.owner)
        line.append(job)

    def of(self, owner) -> list:
        """The owner's queued jobs, in order."""
        return list(self._lines.get(owner, ()))

    def clear(self, owner) -> list:
        """Take the owner's queued jobs out, keeping its turn for the job it adds next."""
        line = self._lines.get(owner)
        dropped = list(line or ())
        if line:
            line.clear()
        return dropped

    def remove(self, job) -> None:
        line = self._lines.get(job.owner)
        if line is not None and job in line:
            line.remove(job)
            if not line:
                del self._lines[job.owner]
                self._turns.remove(job.owner)

    def position(self, job) -> int | None:
        """How many queued jobs start before ``job``; None if it isn't queued."""
        lines = {owner: list(self._lines[owner]) for owner in self._turns}
        turns = deque(self._turns)
        ahead = 0
        while turns:
            owner = turns.popleft()
            if lines[owner].pop(0) is job:
                return ahead
            ahead += 1
            if lines[owner]:
                turns.append(owner)
        return None

    def pop(self):
        """The next job (the first owner's turn), or None when nobody waits."""
        if not self._turns:
            return None
        owner = self._turns.popleft()
        line = self._lines[owner]
        job = line.popleft()
        if line:
            self._turns.append(owner)
        else:
            del self._lines[owner]
        return job

    def drain(self) -> list:
        """Take every queued job out."""
        jobs = [job for line in self._lines.values() for job in line]
        self._lines.clear()
        self._turns.clear()
        return jobs
