"""The Word report read back with python-docx (same texts and figures as the stored result, real headings, a TOC
field, page numbers, charts), and opened by LibreOffice headless without error."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from nfmaturity.plans.models import PlanAction
from nfmaturity.plans.services import create_plan
from nfmaturity.reports.charts import levels_png, radar_png
from nfmaturity.reports.docx import build_docx
from nfmaturity.reports.fonts import SANS_FILES, register_for_matplotlib
from nfmaturity.scoring.display import format_truncated

from .conftest import CHECK_CODE, NA_REASON, RESULT_NUMBER, FormalCase, SelfCase, keep

pytestmark = pytest.mark.django_db


def every_text(document: DocumentObject) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_self_assessment_docx_reads_back(self_case: SelfCase) -> None:
    result = self_case.result
    data = build_docx(result)
    keep("self.docx", data)
    document = Document(io.BytesIO(data))
    text = every_text(document)
    assert "南丹锡业有限公司" in text
    assert result.get_grade_display() in text
    assert f"总分 S = {format_truncated(Fraction(result.total))}" in text
    for i in range(1, 6):
        assert format_truncated(Fraction(result.levels[str(i)])) in text
    for domain in result.domains.values():
        assert format_truncated(Fraction(domain["maturity"])) in text
    assert NA_REASON in text
    assert "等级跳跃" in text
    assert "本报告为企业自评估结果" in text and RESULT_NUMBER not in text
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [
        "一、基本情况",
        "二、总体评估",
        "三、分析报告",
        "四、优秀经验",
        "五、短板不足",
        "六、改造建议",
        "七、不适用要求及理由",
        "八、证据索引",
        "九、评估方法说明",
    ]
    body = document.element.body.xml
    assert "TOC \\o" in body  # Word's table of contents field
    assert document.settings.element.find(qn("w:updateFields")) is not None
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert "南丹锡业有限公司" in document.sections[0].header.paragraphs[0].text
    assert len(document.inline_shapes) == 2  # the level bars and the radar, no QR for a self-assessment
    normal_fonts = document.styles["Normal"].element.rPr.rFonts
    assert normal_fonts.get(qn("w:eastAsia")) == "Noto Serif CJK SC"
    # Tables have a header row that repeats on every page.
    assert all(t.rows[0]._tr.trPr is not None for t in document.tables if len(t.columns) >= 3)


def test_formal_docx_has_the_formal_sections(formal_case: FormalCase) -> None:
    data = build_docx(formal_case.result)
    keep("formal.docx", data)
    document = Document(io.BytesIO(data))
    text = every_text(document)
    assert RESULT_NUMBER in text and CHECK_CODE in text
    assert "十、评估组与合议" in text and "十二、签字页" in text
    assert "专家1" in text and "组长" in text
    assert "补充材料未能证明系统已覆盖全部产线，维持原评分" in text
    assert "建成覆盖熔炼、电解全流程的生产执行系统，数据自动采集率高。" in text
    assert "formal/verify/?number=NFDT-2026-000123" in text
    assert len(document.inline_shapes) == 3  # with the QR code
    assert format_truncated(Fraction(formal_case.result.total)) in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice 未安装")
def test_libreoffice_opens_the_docx(formal_case: FormalCase, tmp_path: Path) -> None:
    source = tmp_path / "评估报告.docx"
    source.write_bytes(build_docx(formal_case.result))
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "评估报告.pdf"
    assert done.returncode == 0, done.stderr
    assert converted.exists() and converted.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(converted), "-"], capture_output=True, check=True).stdout
        assert "南丹锡业有限公司".encode() in text and RESULT_NUMBER.encode() in text


def test_charts_draw_chinese_with_the_noto_font_given_by_path() -> None:
    """matplotlib is given the font files themselves: no missing-glyph warning for Chinese labels."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        radar = radar_png(["组织", "技术", "数据", "资源", "数字化运营"], [2.5, 2.78, 0.0, 5.0, 1.0])
        bars = levels_png(
            ["S1", "S2", "S3", "S4", "S5"],
            [1.0, 0.8, 0.5, 0.0, 0.0],
            ["1.00", "0.80", "0.50", "0.00", "0.00"],
        )
    assert radar.startswith(b"\x89PNG") and bars.startswith(b"\x89PNG")
    from matplotlib import font_manager

    found = font_manager.findfont(
        font_manager.FontProperties(family=register_for_matplotlib()), fallback_to_default=False
    )
    assert found == str(SANS_FILES[0])


def test_a_saved_plan_is_in_the_word_report(self_case: SelfCase) -> None:
    plan = create_plan(assessment=self_case.assessment, actor=self_case.assessment.created_by, target_grade=3)
    PlanAction.objects.filter(plan=plan).update(owner="信息中心王工", due_date=date(2027, 6, 30))
    text = every_text(Document(io.BytesIO(build_docx(self_case.result))))
    assert "企业已保存的提升计划" in text
    assert "信息中心王工 / 2027-06-30 / 未开始" in text
