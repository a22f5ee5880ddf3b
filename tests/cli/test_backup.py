"""``nfm backup`` / ``nfm restore`` against a platform that keeps writing during the backup.

The platform is a separate process (this file run as a script): it migrates a fresh database, seeds an
enterprise with ratings and evidence, then saves ratings through ``set_rating`` and evidence through
``add_attachment`` one after another until told to stop. The backup runs in this process while it
writes; the restore goes into a fresh data directory (SQLite) or a fresh database created in the same
cluster (PostgreSQL, when DATABASE_URL is set, as in CI's second run). The restored database must equal
the snapshot the manifest describes, not the live database, which has moved on.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nfmaturity.backup.database import database_from_settings
from nfmaturity.backup.snapshot import create_backup

ENGINE = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
SEEDED_RATINGS = 300
# Saves the platform makes between the backup's database snapshot and its end (every 4th adds evidence).
SAVES_BETWEEN = 4
RATINGS = "assessments_ratingrecord"
ATTACHMENTS = "assessments_attachment"
AUDIT = "audit_auditevent"


# --- the running platform (this file run as a script in a subprocess) -------------------------------


def run_platform(data_dir: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from nfmaturity.assessments.catalogs import sector_view
    from nfmaturity.assessments.models import RatingRecord, RatingValue
    from nfmaturity.assessments.services import add_attachment, set_rating, start_self_assessment
    from nfmaturity.enterprises.models import SectorChoice
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character

    call_command("migrate", verbosity=0)
    first17 = "91450100A1000000000"[:17]
    registration = register_enterprise(
        profile={
            "name": "南丹锡业有限公司",
            "uscc": first17 + check_character(first17),
            "region_code": "451221",
            "sectors": ["smelting"],
            "metals": ["sn"],
            "size": "medium",
            "above_scale": True,
            "address": "",
        },
        admin_username="ent_admin",
        admin_password="Ceshi-mima-2024",
    )
    user = registration.admin
    get_user_model().objects.create_user("评估员甲", password="Ceshi-mima-2024")
    assessment = start_self_assessment(
        enterprise=registration.enterprise, actor=user, sector=SectorChoice.SMELTING
    )
    requirements = list(sector_view(assessment.catalog_version, assessment.sector).requirements.values())
    RatingRecord.objects.bulk_create(
        RatingRecord(
            assessment=assessment,
            requirement_id=r.id,
            row_id=r.row,
            level=int(r.level),
            value=RatingValue.MOSTLY,
            note=f"说明 {n}：现场核查",
            updated_by=user,
        )
        for n, r in enumerate(requirements[:SEEDED_RATINGS])
    )

    def evidence(n: int) -> None:
        body = f"%PDF-1.4\n证据 {n}\n".encode() * 300
        upload = SimpleUploadedFile(f"证据-{n}.pdf", body, content_type="application/pdf")
        add_attachment(assessment=assessment, actor=user, requirement_id=requirements[n].id, upload=upload)

    for n in range(3):
        evidence(n)
    print("ready", flush=True)
    stop = data_dir / "stop"
    for n, requirement in enumerate(requirements[SEEDED_RATINGS:], 1):
        if stop.exists():
            break
        set_rating(
            assessment=assessment,
            actor=user,
            requirement_id=requirement.id,
            value=RatingValue.PARTLY if n % 2 else RatingValue.FULL,
            expected_version=0,
            note=f"第 {n} 次保存",
        )
        if n % 4 == 0:
            evidence(SEEDED_RATINGS + n)
        print(f"written {n} {time.monotonic():.6f}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    run_platform(Path(sys.argv[1]))
    sys.exit(0)


# --- helpers ---------------------------------------------------------------------------------------


@dataclass
class Target:
    """A place to run the platform against: a data directory and, on PostgreSQL, a database."""

    data_dir: Path
    dbname: str = ""

    @property
    def media(self) -> Path:
        return self.data_dir / "media"

    @property
    def sqlite(self) -> Path:
        return self.data_dir / "nfmaturity.sqlite3"

    def url(self) -> str:
        base = os.environ["DATABASE_URL"]
        return base.rsplit("/", 1)[0] + "/" + self.dbname

    def database_settings(self) -> dict[str, Any]:
        if ENGINE == "sqlite":
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(self.sqlite)}
        import dj_database_url

        return dict(dj_database_url.parse(self.url()))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("NFM_")}
        env.update(NFM_DATA_DIR=str(self.data_dir), DJANGO_SETTINGS_MODULE="nfmaturity.web.settings_test")
        if ENGINE == "postgresql":
            env["DATABASE_URL"] = self.url()
        return env

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows, read independently of the backup code."""
        if ENGINE == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.sqlite)
            try:
                names = [
                    r[0]
                    for r in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url()) as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        if ENGINE == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.sqlite)
            try:
                return conn.execute(statement).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url()) as conn:
            return conn.execute(statement).fetchall()  # type: ignore[arg-type]

    def is_untouched(self) -> bool:
        files = [p for p in self.media.rglob("*") if p.is_file()] if self.media.exists() else []
        if ENGINE == "sqlite":
            return not self.sqlite.exists() and not files
        import psycopg

        with psycopg.connect(self.url()) as conn:
            row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        return row is not None and row[0] == 0 and not files


@contextlib.contextmanager
def admin_connection() -> Iterator[Any]:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        yield conn


def new_target(base: Path, name: str, created: list[str]) -> Target:
    target = Target(base / name, f"nfm_backup_{name}_{os.getpid()}" if ENGINE == "postgresql" else "")
    target.data_dir.mkdir(parents=True)
    if ENGINE == "postgresql":
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target.dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target.dbname}"')
        created.append(target.dbname)
    return target


@dataclass
class Run:
    code: int
    out: str
    err: str


def nfm(target: Target, *args: str) -> Run:
    """``nfm …`` in this process, configured for ``target`` the way NFM_DATA_DIR/DATABASE_URL would."""
    from django.test import override_settings

    from nfmaturity.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding setting DATABASES": only our code reads it here
        with (
            override_settings(DATABASES={"default": target.database_settings()}, MEDIA_ROOT=target.media),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_of(media: Path) -> dict[str, tuple[int, str]]:
    return {
        p.relative_to(media).as_posix(): (p.stat().st_size, sha256(p))
        for p in media.rglob("*")
        if p.is_file()
    }


# --- the scenario: back up while the platform writes, then restore ---------------------------------


@dataclass
class Scenario:
    base: Path
    live: Target
    restored: Target
    archive: Path
    progress: list[str]
    restore: Run
    started: float
    finished: float
    writes: list[float]
    created: list[str]

    def fresh(self, name: str) -> Target:
        return new_target(self.base, name, self.created)


def _reader(stream: io.TextIOBase, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.strip())
    lines.put("<eof>")


def _wait_for(lines: queue.Queue[str], seen: list[str], predicate: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        seen.append(line)
        if line == "<eof>":
            raise AssertionError(f"the platform process ended early: {seen[-5:]}")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    base = tmp_path_factory.mktemp("backup")
    created: list[str] = []
    live = new_target(base, "live", created)
    log = base / "platform.log"  # a file, not a pipe nobody drains: the platform must never block on it
    with log.open("w") as errors:
        platform = subprocess.Popen(
            [sys.executable, __file__, str(live.data_dir)],
            env=live.env(),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(platform.stdout, lines), daemon=True).start()
    seen: list[str] = []

    def writes() -> list[float]:
        return [float(line.split()[2]) for line in seen if line.startswith("written ")]

    def after_snapshot(message: str) -> None:
        progress.append(message)
        if message.startswith("数据库快照完成"):
            # Hold the backup between its database snapshot and its evidence files until the platform
            # has saved more ratings and evidence: the archive must still describe the snapshot.
            target = len(writes()) + SAVES_BETWEEN
            _wait_for(lines, seen, lambda: len(writes()) >= target)

    progress: list[str] = []
    try:
        _wait_for(lines, seen, lambda: len(writes()) >= 3)
        archive = base / "备份.tar"
        started = time.monotonic()
        create_backup(
            archive,
            database=database_from_settings(live.database_settings()),
            media_root=live.media,
            progress=after_snapshot,
        )
        finished = time.monotonic()
        _wait_for(lines, seen, lambda: sum(t > finished for t in writes()) >= 2)
        (live.data_dir / "stop").touch()
        _wait_for(lines, seen, lambda: seen[-1] == "done")
        assert platform.wait(timeout=60) == 0, log.read_text(encoding="utf-8")
        restored = new_target(base, "restored", created)
        restore = nfm(restored, "restore", str(archive))
        yield Scenario(base, live, restored, archive, progress, restore, started, finished, writes(), created)
    finally:
        if platform.poll() is None:
            platform.kill()
            platform.wait()
        if ENGINE == "postgresql":
            with admin_connection() as conn:
                for name in created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manifest_of(archive: Path) -> Any:
    from nfmaturity.backup.restore import read_manifest

    return read_manifest(archive)


def test_backup_taken_while_the_platform_writes_lists_what_it_holds(scenario: Scenario) -> None:
    manifest = manifest_of(scenario.archive)
    assert scenario.progress[0].startswith("正在备份数据库")
    assert scenario.progress[-1] == f"证据文件 {len(manifest.evidence)}/{len(manifest.evidence)}"
    during = [t for t in scenario.writes if scenario.started < t < scenario.finished]
    assert len(during) >= SAVES_BETWEEN
    # Evidence uploaded after the snapshot is archived and listed, and known as not referenced by it.
    assert manifest.unreferenced_evidence >= 1 and manifest.missing_evidence == ()
    with tarfile.open(scenario.archive) as tar:
        names = tar.getnames()
    assert names == [
        manifest.database.member,
        *("media/" + e.path for e in manifest.evidence),
        "manifest.json",
    ]


def test_restore_reports_every_check_in_chinese(scenario: Scenario) -> None:
    assert scenario.restore.code == 0, scenario.restore.err
    out = scenario.restore.out
    assert "正在校验备份文件" in out and "恢复完成，全部与清单一致" in out
    assert "行数与内容哈希均一致" in out and "SHA-256 均一致" in out


def test_restored_database_is_the_snapshot_not_the_live_database(scenario: Scenario) -> None:
    manifest = manifest_of(scenario.archive)
    live, restored = scenario.live.tables(), scenario.restored.tables()
    assert set(restored) == set(live) == set(manifest.tables)
    for table, rows in restored.items():
        assert len(rows) == manifest.tables[table].rows, table
    # The snapshot holds the saves made before the backup began and misses the ones after it.
    before = sum(t < scenario.started for t in scenario.writes)
    snapshot_ratings = len(restored[RATINGS])
    assert SEEDED_RATINGS + before <= snapshot_ratings < len(live[RATINGS])
    # Append-only tables: the restored rows are exactly the live rows up to the snapshot, field for field.
    for table in (RATINGS, ATTACHMENTS, AUDIT):
        last = max(r[0] for r in restored[table])
        assert restored[table] == [r for r in live[table] if r[0] <= last], table
    # Other tables: the same rows (their contents are held to the manifest's hashes by the restore).
    for table in set(live) - {RATINGS, ATTACHMENTS, AUDIT}:
        assert sorted(map(repr, (r[0] for r in restored[table]))) == sorted(
            map(repr, (r[0] for r in live[table]))
        ), table
    # One point in time: every saved rating has its audit event and no event outlives its rating.
    rating_ids = {str(r[0]) for r in restored[RATINGS]}
    audited = {
        str(r[0])
        for r in scenario.restored.query(
            f"SELECT object_id FROM {AUDIT} WHERE action = 'rating.changed' AND object_type = 'assessments.ratingrecord'"
        )
    }
    unseeded = {str(r[0]) for r in restored[RATINGS] if int(r[0]) > SEEDED_RATINGS}
    assert audited == unseeded and audited <= rating_ids


def test_restored_files_are_exactly_the_manifest_and_what_the_rows_name(scenario: Scenario) -> None:
    manifest = manifest_of(scenario.archive)
    restored = files_of(scenario.restored.media)
    assert restored == {e.path: (e.size, e.sha256) for e in manifest.evidence}
    assert manifest.missing_evidence == ()
    # Every attachment row of the snapshot finds its file, byte-identical to the one uploaded.
    rows = scenario.restored.query(f"SELECT file, sha256 FROM {ATTACHMENTS}")
    assert len(rows) >= 3
    for path, sha in rows:
        assert restored[path][1] == sha == sha256(scenario.live.media / path)


def _tampered(scenario: Scenario, member: str, name: str) -> Path:
    copy = scenario.base / name
    shutil.copyfile(scenario.archive, copy)
    with tarfile.open(copy) as tar:
        offset = tar.getmember(member).offset_data
    with copy.open("r+b") as f:
        f.seek(offset + 10)
        byte = f.read(1)
        f.seek(offset + 10)
        f.write(bytes([byte[0] ^ 0xFF]))
    return copy


def test_restore_refuses_a_tampered_evidence_file_and_names_it(scenario: Scenario) -> None:
    entry = manifest_of(scenario.archive).evidence[1]
    archive = _tampered(scenario, "media/" + entry.path, "改动证据.tar")
    target = scenario.fresh("tampered_media")
    result = nfm(target, "restore", str(archive))
    assert result.code == 2
    assert f"证据文件 {entry.path} 与清单不符" in result.err and "已拒绝恢复" in result.err
    assert target.is_untouched()


def test_restore_refuses_a_tampered_database_dump(scenario: Scenario) -> None:
    archive = _tampered(scenario, manifest_of(scenario.archive).database.member, "改动数据库.tar")
    target = scenario.fresh("tampered_db")
    result = nfm(target, "restore", str(archive))
    assert result.code == 2 and "数据库文件 与清单不符" in result.err
    assert target.is_untouched()


def test_restore_refuses_a_database_with_data_and_a_media_dir_with_files(scenario: Scenario) -> None:
    again = nfm(scenario.restored, "restore", str(scenario.archive))
    assert again.code == 2 and "不是空的" in again.err and "已有数据" in again.err
    target = scenario.fresh("media_only")
    (target.media / "旧文件.txt").parent.mkdir(parents=True)
    (target.media / "旧文件.txt").write_text("x", encoding="utf-8")
    result = nfm(target, "restore", str(scenario.archive))
    assert result.code == 2 and f"证据目录 {target.media} 不是空的" in result.err


def test_restore_refuses_the_other_database_engine(scenario: Scenario) -> None:
    from nfmaturity.backup.database import PostgresDatabase, SqliteDatabase
    from nfmaturity.backup.errors import BackupError
    from nfmaturity.backup.restore import restore_backup

    other = (
        PostgresDatabase(params=(("dbname", "nowhere"),))
        if ENGINE == "sqlite"
        else SqliteDatabase(scenario.base / "x.sqlite3")
    )
    with pytest.raises(BackupError, match="不支持跨数据库类型恢复"):
        restore_backup(scenario.archive, database=other, media_root=scenario.base / "none")


def test_restore_refuses_files_that_are_not_backups(scenario: Scenario) -> None:
    target = scenario.fresh("not_backups")
    junk = scenario.base / "随便.tar"
    junk.write_bytes(b"PK\x03\x04 not a tar at all" * 50)
    result = nfm(target, "restore", str(junk))
    assert result.code == 2 and "不是有效的备份文件" in result.err
    bare = scenario.base / "无清单.tar"
    with tarfile.open(bare, "w") as tar:
        tar.add(scenario.base / "随便.tar", arcname="database/nfmaturity.sqlite3")
    result = nfm(target, "restore", str(bare))
    assert result.code == 2 and "没有清单 manifest.json" in result.err
    assert target.is_untouched()


def test_backup_reports_evidence_files_missing_on_disk(scenario: Scenario) -> None:
    # Back up the restored platform with one referenced file gone from (a copy of) its media.
    source = Target(scenario.base / "missing", scenario.restored.dbname)
    shutil.copytree(scenario.restored.media, source.media)
    if ENGINE == "sqlite":
        shutil.copyfile(scenario.restored.sqlite, source.sqlite)
    gone = str(scenario.restored.query(f"SELECT file FROM {ATTACHMENTS} ORDER BY id")[0][0])
    (source.media / gone).unlink()
    result = nfm(source, "backup", "-o", str(scenario.base / "缺文件.tar"))
    assert result.code == 0, result.err
    files = len(manifest_of(scenario.base / "缺文件.tar").evidence)
    assert "正在备份数据库" in result.out and f"证据文件 {files}/{files}" in result.out
    assert "备份完成" in result.out
    assert "在磁盘上不存在" in result.err and gone in result.err
    assert manifest_of(scenario.base / "缺文件.tar").missing_evidence == (gone,)
    again = nfm(source, "backup", "-o", str(scenario.base / "缺文件.tar"))
    assert again.code == 2 and "输出文件已存在" in again.err


def test_a_missing_pg_dump_is_named_with_how_to_install_it(tmp_path: Path) -> None:
    from nfmaturity.backup.database import find_pg_tool
    from nfmaturity.backup.errors import BackupError

    with pytest.raises(BackupError, match="找不到 PostgreSQL 工具 pg_dump：请安装"):
        find_pg_tool("pg_dump", search=[str(tmp_path)])
