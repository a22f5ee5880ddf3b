"""``nfm report``: the PDF, Word and Excel files of an assessment's latest stored result, read back; Chinese
messages and exit codes for what cannot be done."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from tests.web.conftest import WORKED_CHECK, World, fill, world  # noqa: F401  (a fixture)

from nfmaturity.assessments.models import Assessment, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.cli.main import main
from nfmaturity.enterprises.models import SectorChoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world: World) -> Assessment:  # noqa: F811  (the fixture, as a parameter)
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
    assessment.refresh_from_db()
    return assessment


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_excel_file_carries_the_stored_result(
    submitted: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "导出.xlsx"
    code, out, _ = _run(
        capsys, "report", "--assessment", str(submitted.pk), "--format", "xlsx", "-o", str(target)
    )
    assert code == 0
    assert "正在生成Excel 评分导出：南丹锡业有限公司" in out and "第 1 版结果" in out
    assert "进度 100%" in out and f"已写入 {target}" in out
    overview = {
        row[0]: row[1]
        for row in load_workbook(BytesIO(target.read_bytes()))["概况"].iter_rows(values_only=True)
    }
    result = Result.objects.get(assessment=submitted)
    assert overview["总分精确值"] == result.total and overview["成熟度等级"] == result.get_grade_display()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_pdf_and_word_files_name_the_enterprise_and_the_grade(
    submitted: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = Result.objects.get(assessment=submitted)
    pdf = tmp_path / "报告.pdf"
    code, _, err = _run(
        capsys, "report", "--assessment", str(submitted.pk), "--format", "pdf", "-o", str(pdf)
    )
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "南丹锡业有限公司" in text and result.get_grade_display().split()[0] in text

    word = tmp_path / "报告.docx"
    code, _, err = _run(
        capsys, "report", "--assessment", str(submitted.pk), "--format", "docx", "-o", str(word)
    )
    assert code == 0, err
    document = Document(str(word))
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "南丹锡业有限公司" in body


def test_refusals_are_in_chinese_with_their_exit_codes(
    world: World,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = str(tmp_path / "x.pdf")
    code, _, err = _run(capsys, "report", "--assessment", "99999", "--format", "pdf", "-o", target)
    assert code == 2 and "找不到编号为 99999 的评估" in err
    draft = start_self_assessment(
        enterprise=world.enterprise,
        actor=world.users["ent_admin"],  # type: ignore[arg-type]
        sector=SectorChoice.SMELTING,
    )
    code, _, err = _run(capsys, "report", "--assessment", str(draft.pk), "--format", "pdf", "-o", target)
    assert code == 2 and "还没有保存的结果（尚未提交）" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--assessment", str(draft.pk), "--format", "html", "-o", target])
    assert exit_info.value.code == 2 and "无效的选项" in capsys.readouterr().err
    assert not Path(target).exists()


def test_an_unwritable_target_is_reported(
    submitted: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "没有的目录" / "导出.xlsx"
    code, _, err = _run(
        capsys, "report", "--assessment", str(submitted.pk), "--format", "xlsx", "-o", str(target)
    )
    assert code == 1 and f"无法写入 {target}" in err
