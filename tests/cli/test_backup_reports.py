"""Generated report files are part of the backup: a platform (a separate process, this file run as a script)
builds a result's Excel file and an index report PDF through the worker's own code; ``nfm backup`` archives them
under ``reports/`` with the database; ``nfm restore`` into an empty data directory (or database) puts them back
under NFM_REPORTS_DIR; the restored platform (again a separate process) serves both downloads byte for byte.
A half-written ``.part-`` file of the worker is left out; a report file missing on disk is named."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the script part runs without the tests package on its path
    from tests.cli.test_backup import Target

PASSWORD = "Ceshi-mima-2024"


# --- the platform (this file run as a script in a subprocess) ---------------------------------------


def build_platform() -> dict[str, Any]:
    """A submitted self-assessment with its Excel file, and the platform admin's index report PDF."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from nfmaturity.assessments.catalogs import sector_view
    from nfmaturity.assessments.models import RatingRecord, RatingValue, Result
    from nfmaturity.assessments.services import start_self_assessment, submit_assessment
    from nfmaturity.enterprises.models import SectorChoice
    from nfmaturity.enterprises.services import register_enterprise
    from nfmaturity.enterprises.uscc import check_character
    from nfmaturity.reports import files, index_files, jobs
    from nfmaturity.reports.models import IndexReportFile, ReportFile, ReportFormat

    call_command("migrate", verbosity=0)
    first17 = "91450100A2000000000"[:17]
    registration = register_enterprise(
        profile={
            "name": "河池锌业有限公司",
            "uscc": first17 + check_character(first17),
            "region_code": "451202",
            "sectors": ["smelting"],
            "metals": ["zn"],
            "size": "medium",
            "above_scale": True,
            "address": "",
        },
        admin_username="ent_admin",
        admin_password=PASSWORD,
    )
    user = registration.admin
    assessment = start_self_assessment(
        enterprise=registration.enterprise, actor=user, sector=SectorChoice.SMELTING
    )
    requirements = sector_view(assessment.catalog_version, assessment.sector).requirements.values()
    RatingRecord.objects.bulk_create(
        RatingRecord(
            assessment=assessment,
            requirement_id=r.id,
            row_id=r.row,
            level=int(r.level),
            value=RatingValue.MOSTLY if int(r.level) < 3 else RatingValue.PARTLY,
            updated_by=user,
        )
        for r in requirements
    )
    submit_assessment(assessment=assessment, actor=user)
    result = Result.objects.get(assessment=assessment)
    asked = files.request_report(result=result, fmt=ReportFormat.XLSX, actor=user)
    jobs.generate(asked.report.pk)
    admin = get_user_model().objects.create_superuser("platform_admin", password=PASSWORD)
    index = index_files.request_index_report(actor=admin, year=2026, fmt=ReportFormat.PDF)
    jobs.generate_index(index.report.pk)
    excel = ReportFile.objects.get(pk=asked.report.pk)
    pdf = IndexReportFile.objects.get(pk=index.report.pk)
    assert excel.is_done and pdf.is_done, (excel.error, pdf.error)
    return {
        "excel": [excel.pk, excel.path, excel.sha256],
        "index": [pdf.pk, pdf.path, pdf.sha256],
    }


def download(paths: list[str]) -> dict[str, Any]:
    """GET each download path as the user allowed to (ent_admin, platform_admin); the status and SHA-256."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    out = {}
    for path in paths:
        who = "platform_admin" if "/index/" in path else "ent_admin"
        client = Client()
        client.force_login(get_user_model().objects.get(username=who))
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.status_code == 200 else b""  # type: ignore[attr-defined]
        out[path] = [response.status_code, hashlib.sha256(body).hexdigest()]
    return out


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "build":
        print(json.dumps(build_platform()))
    else:
        print(json.dumps(download(sys.argv[2:])))
    sys.exit(0)


# --- the test ------------------------------------------------------------------------------------------


def _run(target: Target, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=target.env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _nfm(target: Target, *args: str) -> tuple[int, str, str]:
    """``nfm …`` in this process, configured for ``target`` as NFM_DATA_DIR / DATABASE_URL would."""
    from django.test import override_settings

    from nfmaturity.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding setting DATABASES": only our code reads it here
        with (
            override_settings(
                DATABASES={"default": target.database_settings()},
                MEDIA_ROOT=target.media,
                NFM_REPORTS_DIR=target.data_dir / "reports",
            ),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_report_files_are_backed_up_restored_and_downloadable(tmp_path: Path) -> None:
    from tests.cli.test_backup import ENGINE, admin_connection, new_target

    created: list[str] = []
    try:
        live = new_target(tmp_path, "live", created)
        built = _run(live, "build")
        reports = live.data_dir / "reports"
        excel_pk, excel_path, excel_sha = built["excel"]
        index_pk, index_path, index_sha = built["index"]
        assert index_path.startswith("index/000000/2026-pdf-") and excel_path.endswith(".xlsx")
        # A file the worker is still writing is not a report file yet.
        (reports / Path(excel_path).parent / ".part-abc123").write_bytes(b"half a file")

        archive = tmp_path / "备份.tar"
        code, out, err = _nfm(live, "backup", "-o", str(archive))
        assert code == 0, err
        assert "正在写入报告文件（共 2 个）" in out and "报告文件 2/2" in out
        assert "报告文件：2 个" in out
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert sorted(n for n in names if n.startswith("reports/")) == sorted(
            ["reports/" + excel_path, "reports/" + index_path]
        )
        from nfmaturity.backup.restore import read_manifest

        manifest = read_manifest(archive)
        assert manifest.format_version == 2 and manifest.missing_reports == ()
        assert {(e.path, e.sha256) for e in manifest.reports} == {
            (excel_path, excel_sha),
            (index_path, index_sha),
        }

        restored = new_target(tmp_path, "restored", created)
        code, out, err = _nfm(restored, "restore", str(archive))
        assert code == 0, err
        assert "报告文件：2 个" in out and "SHA-256 均一致" in out
        restored_reports = restored.data_dir / "reports"
        assert hashlib.sha256((restored_reports / excel_path).read_bytes()).hexdigest() == excel_sha
        assert not list(restored_reports.rglob(".part-*"))

        urls = [f"/reports/files/{excel_pk}/download/", f"/reports/index/files/{index_pk}/download/"]
        got = _run(restored, "download", *urls)
        assert got == {urls[0]: [200, excel_sha], urls[1]: [200, index_sha]}

        # Restoring again over the restored report files is refused, naming the directory.
        again = new_target(tmp_path, "again", created)
        (again.data_dir / "reports").mkdir()
        (again.data_dir / "reports" / "旧报告.pdf").write_bytes(b"%PDF")
        code, out, err = _nfm(again, "restore", str(archive))
        assert code == 2 and f"报告文件目录 {again.data_dir / 'reports'} 不是空的" in err

        # A report file gone from disk is named by the next backup.
        (restored_reports / excel_path).unlink()
        code, out, err = _nfm(restored, "backup", "-o", str(tmp_path / "缺报告.tar"))
        assert code == 0, err
        assert "报告文件在磁盘上不存在" in err and excel_path in err
        assert read_manifest(tmp_path / "缺报告.tar").missing_reports == (excel_path,)
    finally:
        if ENGINE == "postgresql":
            with admin_connection() as conn:
                for name in created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("inside", [True, False])
def test_reports_inside_media_are_archived_once(tmp_path: Path, inside: bool) -> None:
    from nfmaturity.backup.snapshot import separate_reports_root

    media = tmp_path / "media"
    reports = media / "reports" if inside else tmp_path / "reports"
    assert separate_reports_root(reports, media) == (None if inside else reports)
    assert separate_reports_root(None, media) is None


def test_a_format_1_manifest_still_reads_and_a_newer_one_is_refused() -> None:
    from nfmaturity.backup.errors import BackupError
    from nfmaturity.backup.manifest import Manifest

    v1 = {
        "format": "nfm-backup",
        "format_version": 1,
        "created_at": "2026-01-01T00:00:00+00:00",
        "platform_version": "0.1",
        "database": {
            "engine": "sqlite",
            "member": "database/nfmaturity.sqlite3",
            "size": 1,
            "sha256": "0" * 64,
            "server_version": "3",
        },
        "migrations": {},
        "tables": {},
        "evidence": [],
        "missing_evidence": [],
        "unreferenced_evidence": 0,
    }
    manifest = Manifest.from_json(json.dumps(v1).encode())
    assert manifest.reports == () and manifest.missing_reports == ()
    with pytest.raises(BackupError, match="备份格式版本 3 高于本程序支持的版本 2"):
        Manifest.from_json(json.dumps(v1 | {"format_version": 3}).encode())
