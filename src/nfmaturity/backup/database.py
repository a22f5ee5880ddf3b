"""The platform database as backup and restore see it: where it is, and what it holds (an inventory).

Backup and restore talk to the database through the engine's own driver (``sqlite3``, ``psycopg``), not
through Django's connections: the snapshot must be one read transaction that also feeds ``pg_dump``, and a
restore works on a database the running Django process is not configured for.

An inventory is the row count and a SHA-256 of the rows of every table, read in primary-key order as the
engine renders them, plus the latest applied migration per app and the evidence paths the rows reference.
It is computed inside the snapshot at backup time and again on the restored database; both sides run on
the same engine (cross-engine restores are refused), so the renderings agree exactly.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from nfmaturity.backup.errors import BackupError
from nfmaturity.backup.manifest import TableEntry

# Connection keywords of Django's OPTIONS that libpq (psycopg and pg_dump alike) understands.
_LIBPQ_OPTIONS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
        "passfile",
        "service",
        "keepalives",
        "keepalives_idle",
    }
)
# Row text must not depend on the server's or the user's defaults, or a restore elsewhere would differ.
_PG_SESSION = (
    "SET TimeZone TO 'UTC'",
    "SET DateStyle TO 'ISO, YMD'",
    "SET IntervalStyle TO 'postgres'",
    "SET extra_float_digits TO 1",
    "SET bytea_output TO 'hex'",
)
_FETCH = 2000


@dataclass(frozen=True)
class SqliteDatabase:
    path: Path
    engine: ClassVar[str] = "sqlite"

    def describe(self) -> str:
        return f"SQLite 数据库 {self.path}"

    def connect_read_only(self) -> sqlite3.Connection:
        # mode=ro: reading a backup source must never create an empty database where none was.
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


@dataclass(frozen=True)
class PostgresDatabase:
    # libpq keywords (dbname, host, port, user, sslmode …); the password is kept apart so that it never
    # appears on a command line (pg_dump receives it through PGPASSWORD).
    params: tuple[tuple[str, str], ...]
    password: str = field(default="", repr=False)
    engine: ClassVar[str] = "postgresql"

    @property
    def dbname(self) -> str:
        return dict(self.params).get("dbname", "")

    def describe(self) -> str:
        where = dict(self.params)
        return f"PostgreSQL 数据库 {where.get('dbname', '')}（{where.get('host', 'localhost')}:{where.get('port', '5432')}）"

    @property
    def conninfo(self) -> str:
        return make_conninfo(**dict(self.params))

    def tool_environ(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.conninfo, password=self.password or None, autocommit=True)
        except psycopg.OperationalError as exc:
            raise BackupError(f"无法连接{self.describe()}：{str(exc).strip()}") from None
        for statement in _PG_SESSION:
            conn.execute(statement)
        return conn


Database = SqliteDatabase | PostgresDatabase


def database_from_settings(config: Mapping[str, Any]) -> Database:
    """The database of one entry of Django's DATABASES setting."""
    engine = str(config.get("ENGINE", ""))
    if engine == "django.db.backends.sqlite3":
        name = str(config.get("NAME", ""))
        if not name or name == ":memory:" or name.startswith("file:"):
            raise BackupError("只能备份保存在文件中的 SQLite 数据库")
        return SqliteDatabase(Path(name))
    if engine in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        params = {"dbname": config.get("NAME"), "host": config.get("HOST"), "port": config.get("PORT")}
        params["user"] = config.get("USER")
        options = config.get("OPTIONS") or {}
        params.update({k: v for k, v in options.items() if k in _LIBPQ_OPTIONS})
        return PostgresDatabase(
            params=tuple(sorted((k, str(v)) for k, v in params.items() if v not in (None, ""))),
            password=str(config.get("PASSWORD") or ""),
        )
    raise BackupError(f"不支持的数据库类型：{engine or '未配置'}（仅支持 SQLite 与 PostgreSQL）")


def find_pg_tool(name: str, search: Iterable[str] | None = None) -> str:
    """The newest ``name`` (pg_dump, pg_restore) of the Debian versioned directories, else the one on PATH.

    pg_dump refuses servers newer than itself, so the newest installed version is the one to use."""
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if search is None else []

    def version(path: str) -> tuple[int, ...]:
        found = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(p) for p in found.group(1).split(".")) if found else (0,)

    for path in sorted(candidates, key=version, reverse=True):
        if os.access(path, os.X_OK):
            return path
    on_path = shutil.which(name, path=os.pathsep.join(search) if search is not None else None)
    if on_path:
        return on_path
    raise BackupError(
        f"找不到 PostgreSQL 工具 {name}：请安装 PostgreSQL 客户端（版本不低于数据库服务器，"
        f"Debian/Ubuntu 为 postgresql-client 软件包），或把 {name} 所在目录加入 PATH"
    )


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of the installed models: the rows that name evidence files."""
    from django.apps import apps
    from django.db import models

    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField) and f.column:
                found.append((model._meta.db_table, f.column))
    return sorted(found)


def report_columns() -> list[tuple[str, str]]:
    """(table, column) of the generated report files' paths (relative to NFM_REPORTS_DIR): the rows that name
    report files (``reports.models.GeneratedFile``)."""
    from django.apps import apps

    from nfmaturity.reports.models import GeneratedFile

    found = []
    for model in apps.get_models():
        if issubclass(model, GeneratedFile):
            column = model._meta.get_field("path").column
            if column:
                found.append((model._meta.db_table, column))
    return sorted(found)


@dataclass(frozen=True)
class Inventory:
    tables: dict[str, TableEntry]
    migrations: dict[str, str]
    file_refs: frozenset[str]
    report_refs: frozenset[str] = frozenset()

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def _digest(rows: Iterable[str]) -> TableEntry:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(row.encode("utf-8", "backslashreplace"))
        digest.update(b"\n")
        count += 1
    return TableEntry(rows=count, sha256=digest.hexdigest())


# --- SQLite ---------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [str(r[0]) for r in rows]


def sqlite_populated(conn: sqlite3.Connection) -> list[str]:
    return [
        t for t in sqlite_tables(conn) if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(t)})").fetchone()[0]
    ]


def _sqlite_rows(conn: sqlite3.Connection, table: str) -> Iterable[str]:
    info = conn.execute(f"PRAGMA table_info({_q(table)})").fetchall()
    keys = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    order = ", ".join(_q(k) for k in keys) if keys else "rowid"
    cursor = conn.execute(f"SELECT * FROM {_q(table)} ORDER BY {order}")
    while batch := cursor.fetchmany(_FETCH):
        # repr is exact for every SQLite storage class (int, float, str, bytes, None).
        yield from (repr(row) for row in batch)


def sqlite_inventory(
    conn: sqlite3.Connection, files: list[tuple[str, str]], reports: list[tuple[str, str]] | None = None
) -> Inventory:
    reports = reports or []
    tables = sqlite_tables(conn)
    entries = {t: _digest(_sqlite_rows(conn, t)) for t in tables}
    migrations: dict[str, str] = {}
    if "django_migrations" in tables:
        for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY applied, id"):
            migrations[str(app)] = str(name)

    def refs(columns: list[tuple[str, str]]) -> frozenset[str]:
        found: set[str] = set()
        for table, column in columns:
            if table in tables:
                query = f"SELECT {_q(column)} FROM {_q(table)} WHERE {_q(column)} IS NOT NULL AND {_q(column)} <> ''"
                found.update(str(r[0]) for r in conn.execute(query))
        return frozenset(found)

    return Inventory(entries, migrations, refs(files), refs(reports))


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_tables(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' ORDER BY 1, 2"
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def _label(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def postgres_populated(conn: psycopg.Connection[Any]) -> tuple[list[str], list[str]]:
    """(all tables, tables holding at least one row)."""
    tables = postgres_tables(conn)
    populated = []
    for schema, table in tables:
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, table))
        row = conn.execute(query).fetchone()
        if row and row[0]:
            populated.append(_label(schema, table))
    return [_label(s, t) for s, t in tables], populated


def _postgres_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> Iterable[str]:
    keys = [
        str(r[0])
        for r in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (sql.Identifier(schema, table).as_string(conn),),
        )
    ]
    order = (
        sql.SQL(", ").join(sql.Identifier(k) for k in keys) if keys else sql.SQL("t::text")  # no key: text
    )
    query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY {}").format(sql.Identifier(schema, table), order)
    # A server-side cursor streams millions of rating rows without holding them in memory.
    with conn.cursor(name="nfm_backup_rows") as cursor:
        cursor.itersize = _FETCH
        cursor.execute(query)
        for (text,) in cursor:
            yield str(text)


def postgres_inventory(
    conn: psycopg.Connection[Any], files: list[tuple[str, str]], reports: list[tuple[str, str]] | None = None
) -> Inventory:
    """Runs inside the caller's transaction, so it reads the same snapshot as ``pg_dump --snapshot``."""
    reports = reports or []
    tables = postgres_tables(conn)
    entries = {_label(s, t): _digest(_postgres_rows(conn, s, t)) for s, t in tables}
    migrations: dict[str, str] = {}
    if ("public", "django_migrations") in tables:
        for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY applied, id"):
            migrations[str(app)] = str(name)

    def refs(columns: list[tuple[str, str]]) -> frozenset[str]:
        found: set[str] = set()
        for table, column in columns:
            if ("public", table) in tables:
                query = sql.SQL("SELECT {c} FROM {t} WHERE {c} IS NOT NULL AND {c} <> ''").format(
                    c=sql.Identifier(column), t=sql.Identifier(table)
                )
                found.update(str(r[0]) for r in conn.execute(query))
        return frozenset(found)

    return Inventory(entries, migrations, refs(files), refs(reports))
