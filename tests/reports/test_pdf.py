"""The PDF report read back: pdftotext finds the enterprise, the grade and the stored figures; pdffonts shows the
CJK fonts embedded; pdftoppm renders the pages (set NFM_REPORT_DIR to keep the files and look at them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from nfmaturity.plans.models import PlanAction
from nfmaturity.plans.services import create_plan
from nfmaturity.reports.content import report_content
from nfmaturity.reports.pdf import build_pdf, content_to_pdf, html_to_pdf
from nfmaturity.scoring.display import format_truncated

from .conftest import CHECK_CODE, NA_REASON, RESULT_NUMBER, FormalCase, SelfCase, keep

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils 未安装"),
]


def run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


def written(pdf: bytes, tmp_path: Path, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def flat(text: str) -> str:
    """pdftotext output without the spaces and line breaks that layout puts between words."""
    return re.sub(r"\s+", "", text)


def test_self_assessment_pdf_reads_back(self_case: SelfCase, tmp_path: Path) -> None:
    result = self_case.result
    pdf = build_pdf(result)
    keep("self.pdf", pdf)
    path = written(pdf, tmp_path)
    text = run(["pdftotext", "-layout", str(path), "-"])
    compact = flat(run(["pdftotext", "-raw", str(path), "-"]))  # content order: a cell's lines stay together
    assert "南丹锡业有限公司" in text
    assert "二级 场景级" in text and result.get_grade_display() == "二级 场景级"
    assert f"总分S={format_truncated(Fraction(result.total))}" in compact
    for i in range(1, 6):
        assert format_truncated(Fraction(result.levels[str(i)])) in text
    for name, domain in result.domains.items():
        assert f"{name}" in text
        assert format_truncated(Fraction(domain["maturity"])) in text
    assert "等级跳跃" in text
    assert compact.count("本企业无自有矿山，") == 3 and NA_REASON.startswith("本企业无自有矿山，")
    assert "本报告为企业自评估结果" in compact
    assert "结果编号" in text and RESULT_NUMBER not in text
    assert "第 1 页" not in text  # the cover carries no page number …
    pages = int(re.search(r"Pages:\s+(\d+)", run(["pdfinfo", str(path)])).group(1))  # type: ignore[union-attr]
    assert f"第 {pages} 页 / 共 {pages} 页" in text  # … the last page does
    for chapter in (
        "一、基本情况",
        "二、总体评估",
        "三、分析报告",
        "四、优秀经验",
        "五、短板不足",
        "六、改造建议",
    ):
        assert chapter in text
    assert "九、评估方法说明" in text and "十、评估组与合议" not in text


def test_the_cjk_fonts_are_embedded(self_case: SelfCase, tmp_path: Path) -> None:
    path = written(build_pdf(self_case.result), tmp_path)
    lines = run(["pdffonts", str(path)]).splitlines()[2:]
    faces = {line.split()[0].split("+", 1)[-1]: line.split() for line in lines}
    # Two faces: serif text, sans bold headings (each further CJK face costs time and size).
    assert set(faces) == {"Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
    for name, columns in faces.items():
        assert "CJK-SC" in name, (
            name
        )  # no fallback face (a Japanese one was picked before the SVGs named theirs)
        assert columns[-5] == "yes", name  # embedded


def test_formal_pdf_has_the_formal_sections_and_the_qr_code(formal_case: FormalCase, tmp_path: Path) -> None:
    pdf = build_pdf(formal_case.result)
    keep("formal.pdf", pdf)
    path = written(pdf, tmp_path)
    text = run(["pdftotext", "-layout", str(path), "-"])
    compact = flat(run(["pdftotext", "-raw", str(path), "-"]))  # content order: a cell's lines stay together
    assert RESULT_NUMBER in text and CHECK_CODE in text
    assert "评估中心" in text
    for chapter in ("十、评估组与合议", "十一、再次论证记录", "十二、签字页"):
        assert chapter in text
    assert "专家1" in text and "组长" in text
    assert "补充材料未能证明" in compact
    assert "建成覆盖熔炼、电解全流程的生产执行系统，数据自动采集率高。" in compact
    assert "formal/verify/?number=NFDT-2026-000123" in compact
    assert format_truncated(Fraction(formal_case.result.total)) in text
    assert "本报告为企业自评估结果" not in compact
    # The QR code is drawn as vector paths on the cover: render the cover and find a dense dark block.
    run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "cover")])
    assert list(tmp_path.glob("cover*.png"))


def test_pages_render_to_png(self_case: SelfCase, tmp_path: Path) -> None:
    path = written(build_pdf(self_case.result), tmp_path)
    run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")])
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) >= 10
    assert all(p.stat().st_size > 2000 for p in pngs)  # none blank


def test_speed_of_a_722_requirement_report(self_case: SelfCase) -> None:
    """CPU time, so other work on a shared machine does not fail it; the bound catches the known trap (without
    libharfbuzz-subset0 WeasyPrint subsets the CJK fonts with fontTools: about 10 s). bench/reports.py measures the
    formal case against the 1.5 s target."""
    content = report_content(self_case.result)
    content_to_pdf(content)  # warm-up: fonts, imports
    started = time.process_time()
    build_pdf(self_case.result)
    assert time.process_time() - started < 4


def test_html_to_pdf(tmp_path: Path) -> None:
    pdf = html_to_pdf('<html lang="zh-CN"><body><h1>年度指数报告</h1><p>样例</p></body></html>')
    text = run(["pdftotext", str(written(pdf, tmp_path)), "-"])
    assert "年度指数报告" in text


def test_a_saved_plan_prints_with_owners_and_due_dates(self_case: SelfCase, tmp_path: Path) -> None:
    plan = create_plan(assessment=self_case.assessment, actor=self_case.assessment.created_by, target_grade=3)
    PlanAction.objects.filter(plan=plan).update(owner="信息中心王工", due_date=date(2027, 6, 30))
    pdf = build_pdf(self_case.result)
    keep("self-plan.pdf", pdf)
    compact = flat(run(["pdftotext", "-raw", str(written(pdf, tmp_path)), "-"]))
    assert "企业已保存的提升计划" in compact
    assert "信息中心王工" in compact and "2027-06-30" in compact
