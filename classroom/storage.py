"""Rooms, recorded runs, exercise submissions and each learner's saved work, in a real database.

SQLite (a file, default ``data/classroom.sqlite3``; ``ECG_CLASSROOM_DIR`` moves the folder) needs
no set-up for a one-machine workshop; ``ECG_CLASSROOM_DB`` (an SQLAlchemy URL such as
``postgresql+psycopg://user@host/db``) lets several app replicas share one board. SQLAlchemy Core,
parameterised statements only; the schema is created or migrated when a store opens.

An instructor's secret is never stored, only its SHA-256 (the secret is 32 random bytes, so a
plain hash is enough), and it is compared with ``hmac.compare_digest``. Every change to a room
checks the secret here, in the storage layer, so no page can forget to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from classroom.recipe import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / "data"
DB_FILE = "classroom.sqlite3"
SCHEMA_VERSION = 1
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread off a projector
CODE_LENGTH = 6
MAX_ROOM_NAME = 60
MAX_DISPLAY_NAME = 24

metadata = sa.MetaData()


def _room_record_columns() -> list[sa.Column]:
    """What every record of a learner in a room starts with (new objects per table)."""
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("room_code", sa.String(CODE_LENGTH), sa.ForeignKey("rooms.code"), nullable=False, index=True),
            sa.Column("learner_id", sa.String(32), nullable=False),
            sa.Column("display_name", sa.String(MAX_DISPLAY_NAME), nullable=False)]


schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))
rooms = sa.Table(
    "rooms", metadata,
    sa.Column("code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("name", sa.String(MAX_ROOM_NAME), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("locks", sa.Text, nullable=False, default="{}"),
    sa.Column("hidden_pages", sa.Text, nullable=False, default="[]"),
    sa.Column("exercise", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
runs = sa.Table(
    "runs", metadata, *_room_record_columns(),
    sa.Column("recipe", sa.Text, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("param_count", sa.Integer, nullable=False),
    sa.Column("test_auc", sa.Float, nullable=False),
    sa.Column("f1", sa.Float, nullable=False),
    sa.Column("precision", sa.Float, nullable=False),
    sa.Column("recall", sa.Float, nullable=False),
    sa.Column("train_seconds", sa.Float, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
submissions = sa.Table(
    "submissions", metadata, *_room_record_columns(),
    sa.Column("exercise", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
learners = sa.Table(
    "learners", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(MAX_DISPLAY_NAME), nullable=True),
    sa.Column("room_code", sa.String(CODE_LENGTH), nullable=True),
    sa.Column("recipe", sa.Text, nullable=True),
    sa.Column("model_label", sa.String(200), nullable=True),
    sa.Column("model_file", sa.LargeBinary, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class NotInstructor(PermissionError):
    """A change to a room without that room's instructor secret."""


class UnknownRoom(LookupError):
    pass


@dataclass(frozen=True)
class Room:
    code: str
    name: str
    locks: dict = field(default_factory=dict)  # setting name -> its value as in Settings.to_query()
    hidden_pages: tuple[str, ...] = ()
    exercise: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """One finished training in a room; ``recipe`` is ``Settings.to_query()``."""

    display_name: str
    recipe: dict
    param_count: int
    test_auc: float
    f1: float
    precision: float
    recall: float
    train_seconds: float
    learner_id: str = ""
    created_at: datetime | None = None

    @property
    def settings(self) -> Settings:
        return Settings.from_query(self.recipe)[0]


@dataclass(frozen=True)
class Submission:
    display_name: str
    exercise: str
    payload: dict
    learner_id: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class LearnerWork:
    display_name: str | None
    room_code: str | None
    recipe: dict | None
    model_label: str | None
    model_file: bytes | None


def hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def learner_id(token: str) -> str:
    """A learner's public id in a room: derived from their private token, which it can't reveal."""
    return hashlib.sha256(b"learner:" + token.encode()).hexdigest()[:32]


def clean_display_name(name: str) -> str:
    """Printable, single-line, trimmed, at most MAX_DISPLAY_NAME characters; ValueError if empty."""
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()[:MAX_DISPLAY_NAME].strip()
    if not text:
        raise ValueError("a display name needs at least one visible character")
    return text


def database_url() -> str:
    """``ECG_CLASSROOM_DB`` if set, else the SQLite file in ``ECG_CLASSROOM_DIR`` (default ./data)."""
    url = os.environ.get("ECG_CLASSROOM_DB", "").strip()
    if url:
        return url
    folder = Path(os.environ.get("ECG_CLASSROOM_DIR") or DEFAULT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DB_FILE}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # concurrent readers while one session writes
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)


class ClassroomStore:
    """All classroom reads and writes; thread-safe (one engine, a connection per call)."""

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = _engine(self.url)
        self.queries = 0  # reads, counted for the board's refresh-cost benchmark
        self._count_lock = threading.Lock()
        self.migrate()

    def migrate(self) -> None:
        """Create missing tables; refuse a database written by a newer app."""
        with self.engine.begin() as db:
            metadata.create_all(db)
            version = db.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            if version is None:
                db.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            elif version > SCHEMA_VERSION:
                raise RuntimeError(f"the classroom database has schema version {version}; this app "
                                   f"knows up to {SCHEMA_VERSION}: update the app")

    def close(self) -> None:
        self.engine.dispose()

    def _read(self, statement):
        with self._count_lock:
            self.queries += 1
        with self.engine.connect() as db:
            return db.execute(statement).all()

    # ------------------------------------------------------------ rooms

    def create_room(self, name: str) -> tuple[Room, str]:
        """A new room and its instructor secret (returned once, stored only hashed)."""
        name = "".join(ch for ch in str(name) if ch.isprintable()).strip()[:MAX_ROOM_NAME]
        if not name:
            raise ValueError("a room needs a name")
        secret = secrets.token_urlsafe(32)
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self.engine.begin() as db:
                    db.execute(rooms.insert().values(code=code, name=name, secret_hash=hashed(secret), locks="{}",
                                                     hidden_pages="[]", exercise=None, created_at=_now()))
            except sa.exc.IntegrityError:
                continue  # that code is taken: draw another
            return Room(code, name), secret
        raise RuntimeError("could not find a free room code")

    def room(self, code: str) -> Room | None:
        rows = self._read(sa.select(rooms.c.code, rooms.c.name, rooms.c.locks, rooms.c.hidden_pages,
                                    rooms.c.exercise).where(rooms.c.code == str(code).strip().upper()))
        if not rows:
            return None
        row = rows[0]
        return Room(row.code, row.name, json.loads(row.locks), tuple(json.loads(row.hidden_pages)), row.exercise)

    def is_instructor(self, code: str, secret: str | None) -> bool:
        if not secret:
            return False
        rows = self._read(sa.select(rooms.c.secret_hash).where(rooms.c.code == str(code).strip().upper()))
        return bool(rows) and hmac.compare_digest(rows[0].secret_hash, hashed(secret))

    def update_room(self, code: str, secret: str | None, *, locks: dict | None = None,
                    hidden_pages: tuple[str, ...] | None = None, exercise: str | None = "") -> Room:
        """Change a room's locks / hidden pages / exercise (``exercise=None`` clears it, ``""`` keeps
        it). NotInstructor, changing nothing, unless ``secret`` is the room's."""
        if not self.is_instructor(code, secret):
            raise NotInstructor("only the room's instructor link can change the room")
        values = {}
        if locks is not None:
            settings = Settings.from_query(locks)[0]
            values["locks"] = json.dumps({name: settings.to_query()[name] for name in locks
                                          if name in settings.to_query()})
        if hidden_pages is not None:
            values["hidden_pages"] = json.dumps(sorted(set(hidden_pages)))
        if exercise != "":
            values["exercise"] = exercise
        if values:
            with self.engine.begin() as db:
                db.execute(rooms.update().where(rooms.c.code == code.upper()).values(**values))
        return self.room(code)

    # ------------------------------------------------------------ runs and submissions

    def record_run(self, code: str, run: RunRecord) -> None:
        settings = Settings.from_query(run.recipe)[0]
        with self.engine.begin() as db:
            if db.execute(sa.select(rooms.c.code).where(rooms.c.code == code)).first() is None:
                raise UnknownRoom(code)
            db.execute(runs.insert().values(
                room_code=code, learner_id=run.learner_id, display_name=clean_display_name(run.display_name),
                recipe=json.dumps(settings.to_query()), seed=settings.seed, param_count=int(run.param_count),
                test_auc=float(run.test_auc), f1=float(run.f1), precision=float(run.precision),
                recall=float(run.recall), train_seconds=float(run.train_seconds), created_at=_now()))

    def runs(self, code: str) -> list[RunRecord]:
        rows = self._read(sa.select(runs).where(runs.c.room_code == code).order_by(runs.c.id))
        return [RunRecord(r.display_name, json.loads(r.recipe), r.param_count, r.test_auc, r.f1, r.precision,
                          r.recall, r.train_seconds, r.learner_id, r.created_at) for r in rows]

    def submit(self, code: str, submission: Submission) -> None:
        with self.engine.begin() as db:
            db.execute(submissions.insert().values(
                room_code=code, learner_id=submission.learner_id,
                display_name=clean_display_name(submission.display_name), exercise=submission.exercise,
                payload=json.dumps(submission.payload), created_at=_now()))

    def submissions(self, code: str) -> list[Submission]:
        rows = self._read(sa.select(submissions).where(submissions.c.room_code == code).order_by(submissions.c.id))
        return [Submission(r.display_name, r.exercise, json.loads(r.payload), r.learner_id, r.created_at)
                for r in rows]

    # ------------------------------------------------------------ a learner's own work

    def save_learner(self, token: str, **values) -> None:
        """Upsert the learner's row: any of display_name, room_code, recipe (dict), model_label,
        model_file (safetensors bytes from core.persistence)."""
        if "recipe" in values and values["recipe"] is not None:
            values["recipe"] = json.dumps(values["recipe"])
        key = hashed(token)
        for _ in range(2):  # a second try turns a lost insert race into an update
            try:
                with self.engine.begin() as db:
                    updated = db.execute(learners.update().where(learners.c.token_hash == key)
                                         .values(**values, updated_at=_now())).rowcount
                    if not updated:
                        db.execute(learners.insert().values(token_hash=key, **values, updated_at=_now()))
                return
            except sa.exc.IntegrityError:
                continue

    def learner(self, token: str) -> LearnerWork | None:
        rows = self._read(sa.select(learners).where(learners.c.token_hash == hashed(token)))
        if not rows:
            return None
        r = rows[0]
        return LearnerWork(r.display_name, r.room_code, None if r.recipe is None else json.loads(r.recipe),
                           r.model_label, r.model_file)
