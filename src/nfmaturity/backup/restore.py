"""``nfm restore``: put a backup back into an empty data directory or an empty database, checked.

Nothing of the target is touched before the whole archive has been read and every file matched the
manifest's size and SHA-256: members are streamed into a staging directory beside MEDIA_ROOT, the
database file included. Only then is the database restored (SQLite: the online backup API writes into
the target file, so a stale -wal beside it cannot be replayed over it; PostgreSQL: ``pg_restore`` in
one transaction) and its row counts and row hashes compared with the manifest; the evidence files and the
generated report files (NFM_REPORTS_DIR) are moved into place last.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nfmaturity.backup.database import (
    Database,
    Inventory,
    PostgresDatabase,
    SqliteDatabase,
    file_columns,
    find_pg_tool,
    postgres_inventory,
    postgres_populated,
    sqlite_inventory,
    sqlite_populated,
)
from nfmaturity.backup.errors import BackupError
from nfmaturity.backup.manifest import (
    ENGINE_LABELS,
    MANIFEST_MAX_BYTES,
    MANIFEST_MEMBER,
    MEDIA_PREFIX,
    REPORTS_PREFIX,
    FileEntry,
    Manifest,
)
from nfmaturity.backup.snapshot import HashingReader, Progress, Ticker, separate_reports_root, silent

CORRUPT = "备份文件已损坏或被改动"
SHOWN = 5


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest


def read_manifest(archive: Path) -> Manifest:
    with _open(archive) as tar:
        return _manifest(tar)


def _open(archive: Path) -> tarfile.TarFile:
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    try:
        return tarfile.open(archive, "r:")
    except (tarfile.TarError, OSError):
        raise BackupError(f"{archive} 不是有效的备份文件（无法按 tar 格式读取）") from None


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(MANIFEST_MEMBER)
    except KeyError:
        raise BackupError("备份文件中没有清单 manifest.json：这不是本平台的备份，或备份不完整") from None
    if not member.isfile() or member.size > MANIFEST_MAX_BYTES:
        raise BackupError(f"备份清单 manifest.json 无效：{CORRUPT}")
    stream = tar.extractfile(member)
    assert stream is not None  # a regular file always has a stream
    with stream:
        return Manifest.from_json(stream.read())


def restore_backup(
    archive: Path,
    *,
    database: Database,
    media_root: Path,
    reports_root: Path | None = None,
    progress: Progress = silent,
) -> RestoreReport:
    media_root = Path(os.path.abspath(media_root))
    reports = separate_reports_root(reports_root, media_root)
    with _open(archive) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError):
            raise BackupError(f"无法读取备份文件的目录：{CORRUPT}") from None
        manifest = _manifest(tar)
        _check_engine(manifest, database)
        _check_migrations(manifest)
        _check_empty(database, media_root)
        if manifest.reports and reports is None:
            raise BackupError(
                "备份中有报告文件，但未指定报告文件目录（NFM_REPORTS_DIR 不能位于证据目录之内）：无法恢复"
            )
        if reports is not None:
            _check_empty_directory(reports, "报告文件目录")
        media_root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".nfm-restore-", dir=media_root.parent))
        try:
            progress("正在校验备份文件…")
            staged_db = _stage(tar, members, manifest, staging, progress)
            progress(f"正在恢复数据库（{database.describe()}）…")
            if isinstance(database, SqliteDatabase):
                _restore_sqlite(staged_db, database, manifest)
            else:
                _restore_postgres(staged_db, database, manifest)
            progress(
                f"数据库已恢复并与清单核对一致：{len(manifest.tables)} 个表，共 {manifest.total_rows} 行"
            )
            _place_media(staging / "media", media_root)
            if reports is not None:
                _place_media(staging / "reports", reports)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(manifest)


def _check_engine(manifest: Manifest, database: Database) -> None:
    if manifest.database.engine != database.engine:
        raise BackupError(
            f"该备份来自 {ENGINE_LABELS[manifest.database.engine]} 数据库，当前平台配置的是 "
            f"{ENGINE_LABELS[database.engine]}：不支持跨数据库类型恢复"
        )


def _check_migrations(manifest: Manifest) -> None:
    """A backup of a newer platform would restore tables this code does not know: refuse it up front."""
    from django.db.migrations.loader import MigrationLoader

    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(f"{app}.{name}" for app, name in manifest.migrations.items() if (app, name) not in known)
    if unknown:
        raise BackupError(
            f"备份来自更新的平台版本（{manifest.platform_version}）：迁移 {'、'.join(unknown[:SHOWN])} "
            "在当前版本中不存在。请先升级平台，再恢复"
        )


def _shown(names: list[str]) -> str:
    more = f" 等 {len(names)} 个" if len(names) > SHOWN else ""
    return "、".join(names[:SHOWN]) + more


def _check_empty(database: Database, media_root: Path) -> None:
    if isinstance(database, SqliteDatabase):
        wal = database.path.with_name(database.path.name + "-wal")
        if not database.path.exists() and wal.exists():
            # SQLite would replay this leftover log into the restored file once WAL mode is switched on.
            raise BackupError(f"目标目录中有残留的 {wal.name}（没有对应的数据库文件），请换一个空的数据目录")
        if database.path.exists():
            try:
                conn = database.connect_read_only()
                try:
                    populated = sqlite_populated(conn)
                finally:
                    conn.close()
            except sqlite3.Error as exc:
                raise BackupError(
                    f"目标 {database.path} 不是可用的空 SQLite 数据库（{exc}），请换一个空的数据目录"
                ) from None
            if populated:
                raise BackupError(
                    f"目标数据库不是空的（{database.path}：表 {_shown(populated)} 中已有数据）。"
                    "恢复只写入空的数据目录，请换一个新的 NFM_DATA_DIR"
                )
    else:
        with database.connect() as pg:
            tables, populated = postgres_populated(pg)
        if populated:
            raise BackupError(
                f"目标数据库 {database.dbname} 不是空的（表 {_shown(populated)} 中已有数据）。"
                "恢复只写入空数据库，请新建一个（CREATE DATABASE …）并让 DATABASE_URL 指向它"
            )
        if tables:
            raise BackupError(
                f"目标数据库 {database.dbname} 已有 {len(tables)} 个表（虽然没有数据）。"
                "恢复只写入空数据库，请新建一个（CREATE DATABASE …）并让 DATABASE_URL 指向它"
            )
    _check_empty_directory(media_root, "证据目录")


def _check_empty_directory(root: Path, what: str) -> None:
    if root.is_dir():
        present = [p for p in root.rglob("*") if not p.is_dir()]
        if present:
            raise BackupError(f"{what} {root} 不是空的（已有 {len(present)} 个文件）。恢复只写入空的数据目录")
    elif root.exists():
        raise BackupError(f"{what} {root} 已存在但不是目录")


def _stage(
    tar: tarfile.TarFile,
    members: list[tarfile.TarInfo],
    manifest: Manifest,
    staging: Path,
    progress: Progress,
) -> Path:
    """Copy every member into ``staging`` while hashing it; refuse at the first one the manifest disowns."""
    expected: dict[str, FileEntry] = {MEDIA_PREFIX + e.path: e for e in manifest.evidence}
    expected |= {REPORTS_PREFIX + e.path: e for e in manifest.reports}
    db_member = manifest.database.member
    db_entry = FileEntry(path=db_member, size=manifest.database.size, sha256=manifest.database.sha256)
    seen: set[str] = set()
    ticker = Ticker(progress, "证据与报告文件", len(expected))
    staged_db = staging / "database"
    for member in members:
        name = member.name
        if name == MANIFEST_MEMBER:
            continue
        if name in seen:
            raise BackupError(f"备份文件中 {name} 出现了两次：{CORRUPT}")
        if name == db_member:
            entry, target, what = db_entry, staged_db, "数据库文件"
        elif name in expected and name.startswith(REPORTS_PREFIX):
            entry = expected[name]
            target, what = staging / "reports" / entry.path, f"报告文件 {entry.path}"
        elif name in expected:
            entry = expected[name]
            target, what = staging / "media" / entry.path, f"证据文件 {entry.path}"
        else:
            raise BackupError(f"备份文件包含清单之外的内容：{name}（{CORRUPT}）")
        if not member.isfile():
            raise BackupError(f"备份文件中的 {name} 不是普通文件：{CORRUPT}")
        if member.size != entry.size:
            raise BackupError(f"{what} 的大小与清单不符（{member.size} ≠ {entry.size} 字节）：{CORRUPT}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            reader = HashingReader(source, member.size)
            with target.open("wb") as out:
                shutil.copyfileobj(reader, out, 1024 * 1024)
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"读取备份文件中的 {what} 失败（{exc}）：{CORRUPT}") from None
        if reader.remaining or reader.digest.hexdigest() != entry.sha256:
            raise BackupError(f"{what} 与清单不符（SHA-256 不一致）：{CORRUPT}，已拒绝恢复")
        seen.add(name)
        if name != db_member:
            ticker.tick(len(seen) - (db_member in seen))
    absent = sorted(n for n in [db_member, *expected] if n not in seen)
    if absent:
        raise BackupError(f"备份文件缺少清单中列出的 {_shown(absent)}：{CORRUPT}")
    return staged_db


def _compare(manifest: Manifest, found: Inventory, where: str) -> None:
    problems = []
    for table in sorted(set(manifest.tables) | set(found.tables)):
        want, got = manifest.tables.get(table), found.tables.get(table)
        if want is None:
            problems.append(f"表 {table} 不在清单中")
        elif got is None:
            problems.append(f"缺少表 {table}")
        elif want.rows != got.rows:
            problems.append(f"表 {table}：清单 {want.rows} 行，{where} {got.rows} 行")
        elif want.sha256 != got.sha256:
            problems.append(f"表 {table} 的内容与清单不符")
    if found.migrations != manifest.migrations:
        problems.append("数据库迁移状态与清单不符")
    if problems:
        raise BackupError(f"{where}的数据库与清单不符：{'；'.join(problems[:SHOWN])}（{CORRUPT}）")


def _restore_sqlite(staged: Path, database: SqliteDatabase, manifest: Manifest) -> None:
    try:
        source = sqlite3.connect(f"{staged.as_uri()}?mode=ro", uri=True)
        try:
            # Checked before the target is written: the staged copy is byte for byte the backed-up file.
            _compare(manifest, sqlite_inventory(source, file_columns()), "备份中")
            database.path.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(database.path, timeout=30)
            try:
                source.backup(target)
                restored = sqlite_inventory(target, file_columns())
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"恢复 SQLite 数据库失败：{exc}") from None
    _compare(manifest, restored, "恢复后")


def _restore_postgres(staged: Path, database: PostgresDatabase, manifest: Manifest) -> None:
    pg_restore = find_pg_tool("pg_restore")
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={database.conninfo}",
        str(staged),
    ]
    done = subprocess.run(
        command, env=database.tool_environ(), stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"pg_restore 失败（退出码 {done.returncode}），数据库未改动：{message}")
    with database.connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        restored = postgres_inventory(conn, file_columns())
        conn.execute("COMMIT")
    try:
        _compare(manifest, restored, "恢复后")
    except BackupError as exc:
        raise BackupError(f"{exc}。数据已写入 {database.dbname}，请删除该数据库后再处理") from None


def _place_media(staged: Path, media_root: Path) -> None:
    """Move the verified files into MEDIA_ROOT or NFM_REPORTS_DIR (a rename each on the same disk, a copy when
    NFM_REPORTS_DIR is on another); the target held no file."""
    if not staged.is_dir():
        media_root.mkdir(parents=True, exist_ok=True)
        return
    for directory, _subdirs, names in os.walk(staged):
        for name in names:
            source = Path(directory) / name
            target = media_root / source.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
