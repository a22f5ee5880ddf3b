"""The front page: anonymous visitors learn what the platform is and how to start; members get their dashboard."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from nfmaturity.accounts.models import Organisation, OrganisationKind
from nfmaturity.assessments.catalogs import current_version, sector_view
from nfmaturity.enterprises.models import SectorChoice
from tests.web.conftest import World


def test_anonymous_visitors_get_the_front_page_with_table_3_and_ways_in(db: None) -> None:
    response = Client().get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "web/landing.html"
    page = response.content.decode()
    assert (
        f'href="{reverse("enterprises:register")}"' in page and f'href="{reverse("accounts:login")}"' in page
    )
    grades_table = page.split('id="grades"', 1)[1].split("</table>", 1)[0]
    view = sector_view(current_version(), SectorChoice.MINING)
    assert "有色金属行业 数字化转型成熟度模型及评估方法" in page
    for grade in view.catalog.grades:
        assert grade.name in grades_table and grade.description in grades_table
    assert "0.8 ≤ 总分 &lt; 1.8" in grades_table and "4.8 ≤ 总分 ≤ 5" in grades_table
    assert "总分 &lt; 0.8" in grades_table  # 未达到一级
    # The time a self-assessment takes is the catalog's requirement count at a minute each, per sector.
    counts = {s: sector_view(current_version(), s).requirement_count for s in SectorChoice.values}
    effort = page.split('id="effort"', 1)[1].split("</table>", 1)[0]
    for sector, count in counts.items():
        assert f"<td>{SectorChoice(sector).label}</td>" in effort
        assert f"{count} 条" in effort and f"约 {round(count / 60)} 小时" in effort
    low, high = round(min(counts.values()) / 60), round(max(counts.values()) / 60)
    assert f"{low}–{high}</strong> 小时" in page
    assert "演示环境" not in page
    # The page differs for signed-in users, so no shared cache may hand one to the other.
    assert "Cookie" in response.headers.get("Vary", "")


def test_the_front_page_keeps_to_the_content_security_policy(db: None) -> None:
    page = Client().get("/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert not re.search(r"\sstyle=|<style", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_a_demo_installation_says_so_on_the_front_page(db: None) -> None:
    Organisation.objects.create(name="（演示）机构", kind=OrganisationKind.BODY, is_demo=True)
    assert "演示环境" in Client().get("/").content.decode()


def test_signed_in_users_keep_their_dashboard(world: World) -> None:
    dashboards = {
        "ent_admin": "web/home_enterprise.html",
        "body_admin": "web/home_body.html",
        "regulator": "web/home_regulator.html",
    }
    for persona, template in dashboards.items():
        response = world.client(persona).get("/")
        assert response.status_code == 200
        names = [t.name for t in response.templates]
        assert template in names and "web/landing.html" not in names, persona
