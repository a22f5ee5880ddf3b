"""The manifest of a backup archive: what the archive holds, with sizes, hashes and row counts.

The archive is a plain tar: the database snapshot under ``database/``, every evidence file under ``media/``
(same relative path as under MEDIA_ROOT), every generated report file under ``reports/`` (same relative path as
under NFM_REPORTS_DIR: the PDF, Word and Excel files users downloaded, which ``ReportFile`` and
``IndexReportFile`` rows point to) and ``manifest.json``, written last because it records hashes computed while
the other members were streamed in.

Format 2 added the report files; a format 1 archive (none) is still restored.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nfmaturity.backup.errors import BackupError

FORMAT: Literal["nfm-backup"] = "nfm-backup"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST_MEMBER = "manifest.json"
MEDIA_PREFIX = "media/"
REPORTS_PREFIX = "reports/"
# A manifest lists one line per evidence file; this bounds what a hostile archive can make us parse.
MANIFEST_MAX_BYTES = 256 * 1024 * 1024

Engine = Literal["sqlite", "postgresql"]
ENGINE_LABELS: dict[str, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DATABASE_MEMBERS: dict[str, str] = {
    "sqlite": "database/nfmaturity.sqlite3",
    "postgresql": "database/nfmaturity.pgdump",
}

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Count = Annotated[int, Field(ge=0)]


def safe_relative_path(path: str) -> str:
    """``path`` if it is a plain relative POSIX path that cannot leave the directory it is joined to."""
    parts = PurePosixPath(path).parts
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(p in ("", ".", "..") for p in path.split("/"))
        or PurePosixPath(*parts).as_posix() != path
    ):
        raise ValueError(f"不安全的路径：{path!r}")
    return path


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class FileEntry(_Strict):
    path: str
    size: Count
    sha256: Sha256

    @field_validator("path")
    @classmethod
    def _safe(cls, value: str) -> str:
        return safe_relative_path(value)


class TableEntry(_Strict):
    rows: Count
    # SHA-256 over the table's rows in primary-key order, as the engine renders them (see database.py).
    sha256: Sha256


class DatabaseEntry(_Strict):
    engine: Engine
    member: str
    size: Count
    sha256: Sha256
    server_version: str

    @field_validator("member")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DATABASE_MEMBERS.values():
            raise ValueError(f"未知的数据库文件名：{value!r}")
        return value


class Manifest(_Strict):
    format: Literal["nfm-backup"]
    format_version: int
    created_at: str
    platform_version: str
    database: DatabaseEntry
    # Latest applied migration per app, so a restore can tell a backup from a newer platform.
    migrations: dict[str, str]
    tables: dict[str, TableEntry]
    evidence: tuple[FileEntry, ...]
    # Referenced by rows of the snapshot but absent from MEDIA_ROOT when the backup ran.
    missing_evidence: tuple[str, ...]
    # Archived files that no row of the snapshot references (uploads after the snapshot, rolled-back uploads).
    unreferenced_evidence: Count
    # Generated report files (format 2): archived, and those the snapshot's rows name but the disk lacked.
    reports: tuple[FileEntry, ...] = ()
    missing_reports: tuple[str, ...] = ()

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def evidence_bytes(self) -> int:
        return sum(f.size for f in self.evidence)

    @property
    def report_bytes(self) -> int:
        return sum(f.size for f in self.reports)

    def to_json(self) -> bytes:
        return self.model_dump_json(indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        # Read the identity and version first: a newer format gets its own sentence, not field errors.
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BackupError("备份清单 manifest.json 不是有效的 JSON：备份文件已损坏") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupError("这不是本平台的备份文件（清单中没有 nfm-backup 标识）")
        version = raw.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise BackupError(
                f"备份格式版本 {version} 高于本程序支持的版本 {FORMAT_VERSION}：请先升级平台再恢复"
            )
        try:
            manifest = cls.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise BackupError(f"备份清单内容无效（{where}）：备份文件已损坏或被改动") from None
        if manifest.format_version not in READABLE_VERSIONS:
            raise BackupError(f"不支持的备份格式版本：{manifest.format_version}")
        if manifest.database.member != DATABASE_MEMBERS[manifest.database.engine]:
            raise BackupError("备份清单中的数据库类型与数据库文件不符：备份文件已损坏或被改动")
        paths = [f.path for f in manifest.evidence]
        if len(set(paths)) != len(paths):
            raise BackupError("备份清单中有重复的证据文件：备份文件已损坏或被改动")
        paths = [f.path for f in manifest.reports]
        if len(set(paths)) != len(paths):
            raise BackupError("备份清单中有重复的报告文件：备份文件已损坏或被改动")
        return manifest
