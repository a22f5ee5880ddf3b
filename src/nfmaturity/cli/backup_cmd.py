"""``nfm backup`` and ``nfm restore``: the platform's data (database, evidence files and generated report
files) in one archive.

Both read the same environment as ``nfm serve`` (NFM_DATA_DIR, DATABASE_URL, NFM_SECRET_KEY): run them
with the platform's own configuration. See docs/backup.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from nfmaturity.backup.errors import BackupError
from nfmaturity.backup.manifest import ENGINE_LABELS


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = subparsers.add_parser(
        "backup",
        help="在平台运行时备份数据库、证据文件与报告文件",
        description="在平台运行时备份数据库（一致的快照）、全部证据文件与已生成的报告文件，连同记录行数与哈希值的清单，写入一个 tar 文件。",
    )
    backup.add_argument(
        "-o", "--output", required=True, type=Path, metavar="文件", help="备份文件路径（如 nfm-备份.tar）"
    )
    backup.set_defaults(handler=backup_command)
    restore = subparsers.add_parser(
        "restore",
        help="把备份恢复到空的数据目录或空数据库",
        description="把 nfm backup 生成的备份恢复到空的数据目录（SQLite）或空数据库（PostgreSQL），并逐项核对清单。",
    )
    restore.add_argument("file", type=Path, metavar="文件", help="nfm backup 生成的备份文件")
    restore.set_defaults(handler=restore_command)


def _configure() -> None:
    """Django's settings say where the database and the evidence files are; set them up once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nfmaturity.web.settings")
    if not (os.environ.get("NFM_SECRET_KEY") or os.environ.get("NFM_SECRET_KEY_FILE")):
        # Backup and restore sign nothing; the settings insist on a key only to protect a serving
        # platform. A key that lives and dies with this process lets a restore run on a new machine
        # (or a backup from cron) before the server's secret is in place.
        os.environ["NFM_SECRET_KEY"] = secrets.token_urlsafe(48)
    import django
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready:
        return
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _progress(message: str) -> None:
    print(message, flush=True)


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB"


def backup_command(args: argparse.Namespace) -> int:
    _configure()
    from django.conf import settings

    from nfmaturity.backup.database import database_from_settings
    from nfmaturity.backup.snapshot import create_backup

    try:
        database = database_from_settings(settings.DATABASES["default"])
        report = create_backup(
            args.output,
            database=database,
            media_root=Path(settings.MEDIA_ROOT),
            reports_root=Path(settings.NFM_REPORTS_DIR),
            progress=_progress,
        )
    except BackupError as exc:
        print(f"备份失败：{exc}", file=sys.stderr)
        return 2
    manifest = report.manifest
    print(
        f"备份完成：{report.path}（{_size(report.archive_size)}）\n"
        f"  数据库：{ENGINE_LABELS[manifest.database.engine]}，{len(manifest.tables)} 个表，共 {manifest.total_rows} 行\n"
        f"  证据文件：{len(manifest.evidence)} 个，{_size(manifest.evidence_bytes)}\n"
        f"  报告文件：{len(manifest.reports)} 个，{_size(manifest.report_bytes)}"
    )
    if manifest.unreferenced_evidence:
        print(
            f"  其中 {manifest.unreferenced_evidence} 个文件未被数据库快照引用（如快照之后上传的文件），已一并备份"
        )
    if manifest.missing_evidence:
        print(
            f"警告：数据库引用的 {len(manifest.missing_evidence)} 个证据文件在磁盘上不存在，未能备份：",
            file=sys.stderr,
        )
        for path in manifest.missing_evidence:
            print(f"  {path}", file=sys.stderr)
    _warn_missing_reports(
        manifest.missing_reports, "警告：数据库记录的 {n} 个报告文件在磁盘上不存在，未能备份："
    )
    return 0


def _warn_missing_reports(paths: tuple[str, ...], heading: str) -> None:
    if paths:
        print(heading.format(n=len(paths)), file=sys.stderr)
        for path in paths:
            print(f"  {path}", file=sys.stderr)


def restore_command(args: argparse.Namespace) -> int:
    _configure()
    from django.conf import settings

    from nfmaturity.backup.database import database_from_settings
    from nfmaturity.backup.restore import restore_backup

    try:
        database = database_from_settings(settings.DATABASES["default"])
        report = restore_backup(
            args.file,
            database=database,
            media_root=Path(settings.MEDIA_ROOT),
            reports_root=Path(settings.NFM_REPORTS_DIR),
            progress=_progress,
        )
    except BackupError as exc:
        print(f"恢复失败：{exc}", file=sys.stderr)
        return 2
    manifest = report.manifest
    print(
        f"恢复完成，全部与清单一致（备份时间 {manifest.created_at}，平台版本 {manifest.platform_version}）：\n"
        f"  数据库：{len(manifest.tables)} 个表，共 {manifest.total_rows} 行，行数与内容哈希均一致\n"
        f"  证据文件：{len(manifest.evidence)} 个，{_size(manifest.evidence_bytes)}，SHA-256 均一致\n"
        f"  报告文件：{len(manifest.reports)} 个，{_size(manifest.report_bytes)}，SHA-256 均一致"
    )
    if manifest.missing_evidence:
        print(
            f"注意：备份时已缺少 {len(manifest.missing_evidence)} 个被数据库引用的证据文件：",
            file=sys.stderr,
        )
        for path in manifest.missing_evidence:
            print(f"  {path}", file=sys.stderr)
    _warn_missing_reports(manifest.missing_reports, "注意：备份时已缺少 {n} 个数据库记录的报告文件：")
    return 0
