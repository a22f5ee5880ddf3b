"""``nfm backup``: a consistent snapshot of a running platform, its evidence files, its generated report files
and a manifest.

Order matters. The database is captured first, at one point in time (SQLite's online backup API in a
single step, which is one read transaction that WAL lets writers run beside; or ``pg_dump`` importing a
snapshot exported by our own REPEATABLE READ transaction, in which the row counts and hashes are read
too). Evidence files are written to disk before the row naming them commits, so every file the
snapshot references is complete on disk by the time the files are archived after it. Files that arrive
later are archived too when they are already there; the manifest lists exactly what the archive holds.
Report files (NFM_REPORTS_DIR) follow the same rule: the worker renames a finished file into place before the
row saying so commits, and never deletes one; its half-written ``.part-*`` files are left out.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

from nfmaturity.backup.database import (
    Database,
    Inventory,
    PostgresDatabase,
    SqliteDatabase,
    file_columns,
    find_pg_tool,
    postgres_inventory,
    report_columns,
    sqlite_inventory,
)
from nfmaturity.backup.errors import BackupError
from nfmaturity.backup.manifest import (
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_MEMBER,
    MEDIA_PREFIX,
    REPORTS_PREFIX,
    DatabaseEntry,
    FileEntry,
    Manifest,
)

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """The default progress sink."""


class Ticker:
    """Prints "证据文件 i/n" at most once a second, and always for the last one."""

    def __init__(self, progress: Progress, label: str, total: int) -> None:
        self.progress, self.label, self.total = progress, label, total
        self.last = time.monotonic()

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if done == self.total or now - self.last >= 1.0:
            self.progress(f"{self.label} {done}/{self.total}")
            self.last = now


class HashingReader:
    """Reads exactly ``size`` bytes of ``raw`` and hashes them on the way, so nothing is read twice."""

    def __init__(self, raw: IO[bytes], size: int) -> None:
        self.raw, self.remaining = raw, size
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        chunk = self.raw.read(self.remaining if n < 0 else min(n, self.remaining))
        self.digest.update(chunk)
        self.remaining -= len(chunk)
        return chunk


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: Manifest
    archive_size: int
    skipped: tuple[str, ...]


def platform_version() -> str:
    try:
        return version("nfmaturity")
    except PackageNotFoundError:
        return "未知"


def separate_reports_root(reports_root: Path | None, media_root: Path) -> Path | None:
    """The report files' directory when it is archived on its own: not when unset, nor when it lies inside
    MEDIA_ROOT (its files are then archived with the evidence)."""
    if reports_root is None:
        return None
    reports_root = Path(os.path.abspath(reports_root))
    return None if reports_root.is_relative_to(Path(os.path.abspath(media_root))) else reports_root


def create_backup(
    output: Path,
    *,
    database: Database,
    media_root: Path,
    reports_root: Path | None = None,
    progress: Progress = silent,
) -> BackupReport:
    output = Path(os.path.abspath(output))
    media_root = Path(os.path.abspath(media_root))
    reports = separate_reports_root(reports_root, media_root)
    if reports is not None and output.is_relative_to(reports):
        raise BackupError(f"备份文件不能放在报告文件目录 {reports} 之内")
    if output.exists():
        raise BackupError(f"输出文件已存在：{output}（不会覆盖，请换一个文件名）")
    if not output.parent.is_dir():
        raise BackupError(f"输出目录不存在：{output.parent}")
    if output.is_relative_to(media_root):
        raise BackupError(f"备份文件不能放在证据目录 {media_root} 之内")
    # Work files sit beside the output: /tmp may be small, and the final rename must stay on one disk.
    work = Path(tempfile.mkdtemp(prefix=".nfm-backup-", dir=output.parent))
    try:
        progress(f"正在备份数据库（{database.describe()}）…")
        dump = work / "database"
        if isinstance(database, SqliteDatabase):
            inventory, server_version = _snapshot_sqlite(database, dump)
        else:
            inventory, server_version = _snapshot_postgres(database, dump)
        progress(f"数据库快照完成：{len(inventory.tables)} 个表，共 {inventory.total_rows} 行")
        files, skipped = _evidence_files(media_root)
        for path in skipped:
            progress(f"跳过非普通文件：{path}")
        partial = work / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            member = DATABASE_MEMBERS[database.engine]
            with dump.open("rb") as raw:
                db_entry = _add(tar, member, raw)
            progress(f"正在写入证据文件（共 {len(files)} 个）…" if files else "没有证据文件")
            evidence = []
            ticker = Ticker(progress, "证据文件", len(files))
            for done, relative in enumerate(files, 1):
                entry = _add_evidence(tar, media_root, relative)
                if entry is not None:
                    evidence.append(entry)
                ticker.tick(done)
            archived = {e.path for e in evidence}
            report_entries = _add_reports(tar, reports, progress)
            manifest = Manifest(
                format=FORMAT,
                format_version=FORMAT_VERSION,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                platform_version=platform_version(),
                database=DatabaseEntry(
                    engine="sqlite" if database.engine == "sqlite" else "postgresql",
                    member=member,
                    size=db_entry.size,
                    sha256=db_entry.sha256,
                    server_version=server_version,
                ),
                migrations=inventory.migrations,
                tables=inventory.tables,
                evidence=tuple(evidence),
                missing_evidence=tuple(sorted(inventory.file_refs - archived)),
                unreferenced_evidence=len(archived - inventory.file_refs),
                reports=tuple(report_entries),
                missing_reports=tuple(sorted(inventory.report_refs - {e.path for e in report_entries}))
                if reports is not None
                else (),
            )
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST_MEMBER)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
        # The archive appears under its name only when complete: a half-written one never looks like a backup.
        os.replace(partial, output)
        return BackupReport(output, manifest, output.stat().st_size, tuple(skipped))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _add(tar: tarfile.TarFile, name: str, raw: IO[bytes]) -> FileEntry:
    status = os.fstat(raw.fileno())
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = status.st_size, int(status.st_mtime), 0o644
    reader = HashingReader(raw, status.st_size)
    try:
        tar.addfile(info, reader)
    except OSError:
        raise BackupError(f"文件 {name} 在备份过程中被截断，请重新备份") from None
    return FileEntry(path=name, size=status.st_size, sha256=reader.digest.hexdigest())


def _add_evidence(
    tar: tarfile.TarFile, media_root: Path, relative: str, prefix: str = MEDIA_PREFIX
) -> FileEntry | None:
    try:
        raw = (media_root / relative).open("rb")
    except FileNotFoundError:
        return None  # removed since the directory was listed: not archived, so not listed either
    with raw:
        entry = _add(tar, prefix + relative, raw)
    return FileEntry(path=relative, size=entry.size, sha256=entry.sha256)


def _add_reports(tar: tarfile.TarFile, reports_root: Path | None, progress: Progress) -> list[FileEntry]:
    if reports_root is None:
        return []
    files, skipped = _evidence_files(reports_root, leave_out=PARTIAL_REPORT)
    for path in skipped:
        progress(f"跳过非普通文件：{path}")
    progress(f"正在写入报告文件（共 {len(files)} 个）…" if files else "没有报告文件")
    entries = []
    ticker = Ticker(progress, "报告文件", len(files))
    for done, relative in enumerate(files, 1):
        entry = _add_evidence(tar, reports_root, relative, REPORTS_PREFIX)
        if entry is not None:
            entries.append(entry)
        ticker.tick(done)
    return entries


# The worker's file being written (reports.files.store renames it into place when complete).
PARTIAL_REPORT = ".part-"


def _evidence_files(media_root: Path, leave_out: str | None = None) -> tuple[list[str], list[str]]:
    """Relative POSIX paths of the regular files under ``media_root`` (sorted), and what was skipped; names
    starting with ``leave_out`` are neither."""
    files: list[str] = []
    skipped: list[str] = []
    if not media_root.is_dir():
        return files, skipped
    for directory, subdirs, names in os.walk(media_root):
        subdirs.sort()
        for name in sorted(names):
            if leave_out is not None and name.startswith(leave_out):
                continue
            path = Path(directory) / name
            relative = path.relative_to(media_root).as_posix()
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:
                continue
            (files if stat.S_ISREG(mode) else skipped).append(relative)
    return files, skipped


def _snapshot_sqlite(database: SqliteDatabase, target: Path) -> tuple[Inventory, str]:
    if not database.path.is_file():
        raise BackupError(f"数据库文件不存在：{database.path}")
    try:
        source = database.connect_read_only()
        try:
            copy = sqlite3.connect(target)
            try:
                # pages=-1: the whole database in one step, i.e. one read transaction and one point in
                # time; a step-wise copy would restart whenever the platform writes in between.
                source.backup(copy, pages=-1)
                # One self-contained file: no -wal beside it that the archive would miss.
                copy.execute("PRAGMA journal_mode=DELETE")
                inventory = sqlite_inventory(copy, file_columns(), report_columns())
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"读取 SQLite 数据库失败：{exc}") from None
    return inventory, sqlite3.sqlite_version


def _snapshot_postgres(database: PostgresDatabase, target: Path) -> tuple[Inventory, str]:
    pg_dump = find_pg_tool("pg_dump")
    with database.connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot(), current_setting('server_version')").fetchone()
        assert row is not None
        snapshot, server_version = str(row[0]), str(row[1])
        # pg_dump reads the snapshot our transaction holds open, so the dump, the row counts and the
        # hashes all describe the same instant however long either takes.
        command = [
            pg_dump,
            "--format=custom",
            f"--snapshot={snapshot}",
            "--no-password",
            "--lock-wait-timeout=60s",
            f"--file={target}",
            f"--dbname={database.conninfo}",
        ]
        dump = subprocess.Popen(
            command,
            env=database.tool_environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            inventory = postgres_inventory(conn, file_columns(), report_columns())
        except BaseException:
            dump.kill()
            dump.wait()
            raise
        _, errors = dump.communicate()
        conn.execute("COMMIT")
    if dump.returncode != 0:
        message = errors.decode("utf-8", "replace").strip()
        raise BackupError(f"pg_dump 失败（退出码 {dump.returncode}）：{message}")
    return inventory, server_version
