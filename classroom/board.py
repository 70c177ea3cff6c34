"""What a class board shows, cached per room for the whole server process.

Every session of a room refreshes its board a few times a minute; they all share one snapshot per
room, re-read from the database at most once per ``ttl`` seconds (one session does the reading
while the others wait for it), and at once after this process records a run. So a room of 30
costs the database about ``3 × 60 / ttl`` reads a minute per app process, whatever the number of
sessions or how often they rerun.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from classroom.storage import ClassroomStore, Room, RunRecord, Submission

DEFAULT_TTL = 5.0


@dataclass(frozen=True)
class RoomSnapshot:
    room: Room | None
    runs: tuple[RunRecord, ...]
    submissions: tuple[Submission, ...]
    fetched_at: float

    def runs_of(self, learner: str) -> list[RunRecord]:
        return [run for run in self.runs if run.learner_id == learner]

    def submissions_of(self, learner: str) -> list[Submission]:
        return [s for s in self.submissions if s.learner_id == learner]

    def learners(self) -> dict[str, str]:
        """learner id -> their latest display name, in order of first appearance."""
        names: dict[str, str] = {}
        for item in (*self.runs, *self.submissions):
            names[item.learner_id] = item.display_name
        return names


class RoomCache:
    def __init__(self, store: ClassroomStore, ttl: float = DEFAULT_TTL):
        self.store = store
        self.ttl = ttl
        self._snapshots: dict[str, RoomSnapshot] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def snapshot(self, code: str) -> RoomSnapshot:
        cached = self._snapshots.get(code)
        if cached is not None and time.monotonic() - cached.fetched_at < self.ttl:
            return cached
        with self._guard:
            lock = self._locks.setdefault(code, threading.Lock())
        with lock:
            cached = self._snapshots.get(code)  # another session may have just read it
            if cached is not None and time.monotonic() - cached.fetched_at < self.ttl:
                return cached
            fresh = RoomSnapshot(self.store.room(code), tuple(self.store.runs(code)),
                                 tuple(self.store.submissions(code)), time.monotonic())
            self._snapshots[code] = fresh
            return fresh

    def invalidate(self, code: str) -> None:
        self._snapshots.pop(code, None)
