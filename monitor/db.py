"""Engine, sessions and migrations.

    engine = open_database(settings.database.url)   # creates/upgrades the schema
    with session_scope(engine) as session:          # one transaction
        ...

SQLite runs in WAL mode with a busy timeout and foreign keys on; PostgreSQL through
psycopg 3. Alembic owns the schema: every command that opens the database brings it to
the latest revision first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL advisory lock key that serialises ingest transactions (see ``lock_for_ingest``);
# the scheduler's leadership lock is another key.
INGEST_LOCK_KEY = 0x62616E69  # "bani"
ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"


def create_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine with banwatch's connection settings (no schema work)."""
    try:
        if url.startswith("sqlite"):
            _ensure_sqlite_folder(url)
            engine = sa.create_engine(
                url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, echo=echo, pool_pre_ping=True)
    except (SQLAlchemyError, ValueError) as exc:
        raise StorageError(f"database {masked_url(url)}: cannot open: {exc}") from None
    return engine


def open_database(url: str, *, echo: bool = False, migrate: bool = True) -> Engine:
    """Create the engine and upgrade the schema to the latest Alembic revision.

    A database already at the latest revision is left alone without importing Alembic:
    the stored revision is compared with the head read from the migration files, which
    keeps read verbs (``banwatch events``) fast (bench/cli.py)."""
    engine = create_engine(url, echo=echo)
    if migrate and not schema_is_current(engine):
        upgrade(engine)
    return engine


_REVISION = re.compile(r"""^revision(?:\s*:\s*[\w\[\], |]+)?\s*=\s*["']([^"']+)["']""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:\s*[\w\[\], |]+)?\s*=\s*(None|["'][^"']+["'])\s*$""", re.M
)


@cache
def script_head(folder: Path = ALEMBIC_DIR) -> str | None:
    """The one head revision of the migration scripts, read from their files; ``None`` when
    it cannot be told that simply (a merge, several heads, an unusual file), so the caller
    asks Alembic."""
    revisions: dict[str, str | None] = {}
    for path in sorted((folder / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions[revision.group(1)] = None if down.group(1) == "None" else down.group(1)[1:-1]
    heads = set(revisions) - {down for down in revisions.values() if down}
    return heads.pop() if len(heads) == 1 else None


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's stored Alembic revision is the scripts' head (one cheap
    query); False when there is no revision table yet or the head cannot be read."""
    head = script_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no alembic_version table: a new database
        return False
    return [row[0] for row in stored] == [head]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations on ``engine`` up to ``revision``."""
    from alembic.config import Config

    from alembic import command

    if not (ALEMBIC_DIR / "env.py").exists():
        raise StorageError(f"migrations not found at {ALEMBIC_DIR} (install banwatch with pip -e)")
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # Take the write lock first: pysqlite does not begin a transaction before
                # DDL, so two processes starting on a new file would both create tables.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"database {masked_url(str(engine.url))}: migration failed: {exc}"
        ) from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def insert_ignoring(session: Session, table: sa.Table, *conflict: str) -> sa.Insert:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING`` on ``table`` in the session's dialect:
    rows whose key exists are skipped, with no select first and no catch-and-retry."""
    return _insert_ignoring(session.get_bind().dialect.name, table, conflict)


@cache
def _insert_ignoring(dialect: str, table: sa.Table, conflict: tuple[str, ...]) -> sa.Insert:
    """Built once per table: ingest runs it for every article, and building a statement
    costs more than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    # pragma: no cover - banwatch supports SQLite and PostgreSQL only
    raise StorageError(f"database dialect {dialect!r} is not supported (SQLite or PostgreSQL)")


def lock_for_ingest(session: Session) -> None:
    """Make the session's transaction the only one storing articles until it ends.

    Whether an article is new, and which event its verdicts join, is decided by reading
    what is stored. Two crawl workers reading at once would both find nothing and both
    store: two processes ingesting copies of the same 200 stories on PostgreSQL stored 316
    articles before this lock. SQLite has one writer anyway; ``BEGIN IMMEDIATE`` takes its
    write lock before the first read instead of at the first write. PostgreSQL takes a
    transaction-level advisory lock, released at commit or rollback.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": INGEST_LOCK_KEY})


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageError(
            f"database {masked_url(str(engine.url))}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _ensure_sqlite_folder(url: str) -> None:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def masked_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"
