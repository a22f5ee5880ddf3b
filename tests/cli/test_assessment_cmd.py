"""``nfm assessment list`` and ``nfm assessment export`` on the test database; the export fed back into
``nfm score`` gives the stored total."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from tests.web.conftest import WORKED_CHECK, World, fill, world  # noqa: F401  (a fixture)

from nfmaturity.assessments.models import Assessment, RatingRecord, RatingValue, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.cli.main import main
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.scoring.display import format_decimal12

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world: World) -> Assessment:  # noqa: F811  (the fixture, as a parameter)
    admin = world.users["ent_admin"]
    assessment = start_self_assessment(enterprise=world.enterprise, actor=admin, sector=SectorChoice.SMELTING)  # type: ignore[arg-type]
    fill(assessment, WORKED_CHECK, admin)
    some_s4 = RatingRecord.objects.filter(assessment=assessment, level=4).order_by("id")[:3]
    RatingRecord.objects.filter(pk__in=[r.pk for r in some_s4]).update(
        value=RatingValue.NOT_APPLICABLE, reason="本企业无此业务"
    )
    submit_assessment(assessment=assessment, actor=admin)  # type: ignore[arg-type]
    assessment.refresh_from_db()
    return assessment


def test_list_shows_the_assessments_with_their_latest_result(
    submitted: Assessment, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = start_self_assessment(
        enterprise=submitted.enterprise, actor=submitted.created_by, sector=SectorChoice.SMELTING
    )
    assert main(["assessment", "list"]) == 0
    out = capsys.readouterr().out
    result = Result.objects.get(assessment=submitted)
    assert "南丹锡业有限公司" in out and f"{result.total_shown}（{result.get_grade_display()}）" in out
    assert "共 2 次评估。" in out

    assert (
        main(["assessment", "list", "--enterprise", submitted.enterprise.uscc or "", "--format", "json"]) == 0
    )
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {submitted.pk, draft.pk}
    assert rows[submitted.pk]["result"]["total"] == result.total
    assert rows[submitted.pk]["state_label"] == "已提交" and rows[draft.pk]["result"] is None


def test_list_of_an_unknown_enterprise_says_so(world: World, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["assessment", "list", "--enterprise", "91450100XXXXXXXXXX"]) == 1
    assert "没有统一社会信用代码为 91450100XXXXXXXXXX 的企业的评估" in capsys.readouterr().err


def test_the_export_scores_to_the_stored_total(
    submitted: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "导出.json"
    assert main(["assessment", "export", "--assessment", str(submitted.pk), "-o", str(target)]) == 0
    assert "已导出评估" in capsys.readouterr().out
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["sector"] == "smelting" and len(document["ratings"]) == 722
    assert list(document["na_reasons"].values()) == ["本企业无此业务"] * 3

    assert main(["score", str(target), "--format", "json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    result = Result.objects.get(assessment=submitted)
    assert scored["total"] == format_decimal12(Fraction(result.total))
    assert scored["grade"] == result.grade


def test_export_of_a_missing_assessment_is_a_usage_error(
    world: World,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["assessment", "export", "--assessment", "99999", "-o", str(tmp_path / "x.json")]) == 2
    assert "找不到编号为 99999 的评估" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
