"""Comparison of two submitted assessments: a shown change always equals the difference of the two shown figures,
and comparing different units, sectors or catalog versions is flagged."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest

from nfmaturity.assessments.comparison import Change
from nfmaturity.assessments.models import Assessment, RatingValue, Result
from nfmaturity.assessments.services import start_self_assessment, submit_assessment
from nfmaturity.enterprises.models import SectorChoice, Unit, UnitKind

from .conftest import World, fill

F = Fraction

BETTER = {
    1: RatingValue.FULL,
    2: RatingValue.FULL,
    3: RatingValue.MOSTLY,
    4: RatingValue.PARTLY,
    5: RatingValue.NONE,
}


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        (F(2659, 1000), F(3131, 1000), "+0.48"),  # exact change 0.472 would truncate to 0.47
        (F(3131, 1000), F(2659, 1000), "-0.48"),
        (F(2651, 1000), F(2659, 1000), "0.00"),  # both show 2.65: no change is shown, and no colour
        (F(1, 3), F(2, 3), "+0.33"),
        (F(0), F(5), "+5.00"),
    ],
)
def test_a_change_is_the_difference_of_the_figures_shown(before: F, after: F, shown: str) -> None:
    change = Change("总分", "", before, after)
    assert change.delta_shown == shown
    assert Decimal(change.after_shown) - Decimal(change.before_shown) == Decimal(shown)
    assert change.direction == ("same" if shown == "0.00" else "up" if shown[0] == "+" else "down")


def test_a_change_with_a_missing_side_shows_no_difference() -> None:
    change = Change("研发管理", "技术", None, F(3))
    assert (change.before_shown, change.delta_shown, change.exact_delta_shown, change.direction) == (
        "—",
        "—",
        "",
        "same",
    )


def _second(world: World, sector: SectorChoice, unit: Unit | None = None) -> Assessment:
    assessment = start_self_assessment(
        enterprise=world.enterprise, actor=world.users["ent_admin"], sector=sector, unit=unit
    )
    fill(assessment, BETTER, world.users["ent_admin"])
    submit_assessment(assessment=assessment, actor=world.users["ent_admin"])
    return assessment


def _rows(page: str, table: str) -> list[tuple[str, str, str]]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(
        r'<td class="text-end num">([-\d.—]+)</td><td class="text-end num">([-\d.—]+)</td>'
        r'<td class="text-end num[^"]*"[^>]*>([-+\d.—]+)</td>',
        body,
    )


def test_every_change_on_the_page_agrees_with_the_figures_beside_it(
    world: World, submitted: Assessment
) -> None:
    second = _second(world, SectorChoice.SMELTING)
    # Exact values whose truncations do not subtract like the exact values do.
    Result.objects.filter(assessment=submitted).update(total="2659/1000", total_shown="2.65")
    Result.objects.filter(assessment=second).update(total="3131/1000", total_shown="3.13")
    stored = Result.objects.get(assessment=second)
    stored.levels = {**stored.levels, "3": "8111/10000"}
    stored.domains["组织"]["maturity"] = "37119/10000"
    stored.save()
    page = (
        world.client("ent_admin")
        .get(f"/assessments/enterprise/{world.enterprise.pk}/compare/")
        .content.decode()
    )
    assert "2.65 → 3.13" in page and "变化 +0.48" in page and "精确差值 0.4720" in page
    assert "注意：" not in page
    for table, count in (("levels-table", 5), ("domains-table", 8), ("subdomains-table", None)):
        rows = _rows(page, table)
        assert rows and (count is None or len(rows) == count)
        for before, after, delta in rows:
            if "—" in (before, after):
                assert delta == "—"
                continue
            assert Decimal(after) - Decimal(before) == Decimal(delta), (table, before, after, delta)
    levels = _rows(page, "levels-table")
    assert levels[2] == ("0.50", "0.81", "+0.31")  # exact 0.3111


def test_it_warns_when_the_units_or_sectors_differ(world: World, submitted: Assessment) -> None:
    plant = Unit.objects.create(enterprise=world.enterprise, name="一号冶炼厂", kind=UnitKind.PLANT)
    other = _second(world, SectorChoice.PROCESSING, unit=plant)
    page = (
        world.client("ent_admin")
        .get(f"/assessments/enterprise/{world.enterprise.pk}/compare/?a={submitted.pk}&b={other.pk}")
        .content.decode()
    )
    assert "评估对象不同（企业整体 / 一号冶炼厂）" in page
    assert "评估环节不同（冶炼 / 加工）" in page


def test_it_warns_when_the_catalog_content_differs(world: World, submitted: Assessment) -> None:
    second = _second(world, SectorChoice.SMELTING)
    Result.objects.filter(assessment=second).update(catalog_hash="f" * 64)
    page = (
        world.client("ent_admin")
        .get(f"/assessments/enterprise/{world.enterprise.pk}/compare/")
        .content.decode()
    )
    assert "标准文件内容不同" in page
    Result.objects.filter(assessment=second).update(catalog_version="2099")
    page = (
        world.client("ent_admin")
        .get(f"/assessments/enterprise/{world.enterprise.pk}/compare/")
        .content.decode()
    )
    assert "标准版本不同（2024 / 2099）" in page
