"""The Excel export read back with openpyxl (and opened by LibreOffice): every requirement with its rating, the
stored figures, each expert's ratings for a formal assessment, text never a formula; and the pre-filled
workbook for the next assessment, imported into a new self-assessment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from nfmaturity.assessments.imports import apply_workbook_import, preview_workbook, read_upload
from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.formal.models import ExpertRating, Settlement
from nfmaturity.reports.xlsx import build_xlsx, next_workbook
from tests.web.conftest import WORKED_CHECK, World, fill

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from reports import make_experts, make_formal_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world: World) -> Assessment:
    """A submitted self-assessment of enterprise A (WORKED_CHECK ratings) with its stored result."""
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    fill(assessment, WORKED_CHECK, admin)
    submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
    assessment.refresh_from_db()
    return assessment


HOSTILE_NOTE = '=HYPERLINK("http://evil.example","点此")'


def _book(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(BytesIO(data))


def _rows(sheet):  # type: ignore[no-untyped-def]
    return list(sheet.iter_rows(values_only=True))


def test_a_self_assessment_exports_every_requirement_and_the_stored_figures(
    world: World, submitted: Assessment
) -> None:
    record = RatingRecord.objects.filter(assessment=submitted).order_by("id").first()
    assert record is not None
    RatingRecord.objects.filter(pk=record.pk).update(note=HOSTILE_NOTE)
    result = Result.objects.get(assessment=submitted)

    book = _book(build_xlsx(result))
    assert book.sheetnames == ["概况", "评分明细", "子域得分"]

    overview = {row[0]: row[1] for row in _rows(book["概况"]) if row[0]}
    assert overview["企业名称"] == "南丹锡业有限公司"
    assert overview["总分 S（0–5，截断保留两位小数）"] == float(result.total_shown)
    assert overview["总分精确值"] == result.total
    assert overview["成熟度等级"] == result.get_grade_display()
    assert overview["标准内容摘要（SHA-256）"] == result.catalog_hash

    ratings = book["评分明细"]
    body = _rows(ratings)[1:]
    assert len(body) == submitted.requirement_count == 722
    header = _rows(ratings)[0]
    rating_col, note_col = header.index("评分"), header.index("备注")
    # WORKED_CHECK rates S1 全部满足, S2 大部分满足, S3 部分满足, S4–S5 不满足.
    assert {row[rating_col] for row in body} == {"全部满足", "大部分满足", "部分满足", "不满足"}
    notes = [row[note_col] for row in body if row[note_col]]
    assert notes == [HOSTILE_NOTE]
    hostile = next(
        c for c in ratings.iter_rows(min_row=2, min_col=note_col + 1, max_col=note_col + 1) if c[0].value
    )[0]
    assert hostile.data_type == "s" and hostile.quotePrefix  # text, never a formula

    scores = _rows(book["子域得分"])
    assert scores[0][:2] == ("能力域", "能力子域")
    maturity = {row[1]: row[-1] for row in scores[1:] if row[1]}
    for row_id, exact in result.maturity.items():
        name = result.subdomains[row_id]["name"]
        from fractions import Fraction

        shown = Decimal(int(Fraction(exact) * 100)) / 100
        assert Decimal(str(maturity[name])) == shown


def test_a_formal_assessment_shows_each_experts_rating_only_when_asked(world: World) -> None:
    from nfmaturity.accounts.models import Organisation, OrganisationKind

    body = Organisation.objects.get(kind=OrganisationKind.BODY, name="评估中心")
    result = make_formal_result(world.enterprise, body, world.users["body_admin"], make_experts(body))  # type: ignore[arg-type]
    with_experts = _book(build_xlsx(result, expert_detail=True))["评分明细"]
    header = _rows(with_experts)[0]
    expert_cols = [i for i, name in enumerate(header) if str(name).startswith("专家")]
    assert len(expert_cols) == 7 and header[expert_cols[0]] == "专家1（组长）评分"
    body_rows = _rows(with_experts)[1:]
    assert len(body_rows) == 722
    first = Settlement.objects.filter(formal__assessment=result.assessment).order_by("requirement_id").first()
    assert first is not None
    labels = dict(RatingValue.choices)
    text_col = header.index("要求内容")
    row = next(
        r
        for r in body_rows
        if r[text_col] and r[0] and _requirement_text(result, first.requirement_id) == r[text_col]
    )
    assert row[header.index("评分")] == labels[first.value]
    mine = ExpertRating.objects.get(
        formal__assessment=result.assessment, member__is_leader=True, requirement_id=first.requirement_id
    )
    assert row[expert_cols[0]] == labels[mine.value]
    assert row[header.index("确定方式")] == first.get_method_display()

    settled_only = _rows(_book(build_xlsx(result))["评分明细"])[0]
    assert not [name for name in settled_only if str(name).startswith("专家")]


def _requirement_text(result: Result, requirement_id: str) -> str:
    from nfmaturity.assessments.catalogs import sector_view

    return (
        sector_view(result.assessment.catalog_version, result.assessment.sector)
        .requirements[requirement_id]
        .text
    )


def test_the_prefilled_workbook_imports_into_a_new_self_assessment(
    world: World, submitted: Assessment
) -> None:
    RatingRecord.objects.filter(assessment=submitted, level=5).update(
        value=RatingValue.NOT_APPLICABLE, reason="本企业无此业务"
    )
    old = {r.requirement_id: (r.value, r.reason) for r in RatingRecord.objects.filter(assessment=submitted)}
    data = next_workbook(Result.objects.get(assessment=submitted))

    actor = world.users["ent_admin"]
    fresh = start_self_assessment(enterprise=world.enterprise, actor=actor, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    parsed = read_upload(SimpleUploadedFile("下次自评估.xlsx", data))
    assert parsed.workbook.assessment_id is None  # belongs to no assessment: importable into any new one
    pending = preview_workbook(assessment=fresh, actor=actor, parsed=parsed)  # type: ignore[arg-type]
    applied = apply_workbook_import(workbook_import=pending, actor=actor)  # type: ignore[arg-type]
    assert applied == 722
    new = {r.requirement_id: (r.value, r.reason) for r in RatingRecord.objects.filter(assessment=fresh)}
    assert new == old


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_export(world: World, submitted: Assessment, tmp_path: Path) -> None:
    source = tmp_path / "导出.xlsx"
    source.write_bytes(build_xlsx(Result.objects.get(assessment=submitted)))
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "导出.csv").read_text(encoding="utf-8", errors="replace")
    assert "南丹锡业有限公司" in text
