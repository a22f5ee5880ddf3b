"""Every dashboard number drills down to the enterprises it counted; the list pages, sorts and pages; the
views' query counts do not grow with the data."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nfmaturity.analytics import dashboard as present
from nfmaturity.analytics.filters import DashboardFilter
from tests.web.conftest import World

from .test_dashboard import NOW, HandData, add_result, build_hand_data, enterprise


@pytest.fixture
def hand(world: World, monkeypatch: pytest.MonkeyPatch) -> HandData:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return build_hand_data(world)


LINK = re.compile(r'href="(/analytics/enterprises/\?[^"]*)"[^>]*>(\d+)</a>')


def names(client: Client, url: str) -> list[str]:
    page = client.get(url).content.decode()
    return re.findall(r'<td><a href="/enterprises/\d+/">([^<]+)</a>', page)


def regulator(hand: HandData, persona: str = "regulator") -> Client:
    client = Client()
    client.force_login(hand.world.users[persona])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["regulator", "hunan_regulator", "national_regulator"])
def test_every_number_on_the_dashboard_lists_as_many_enterprises(hand: HandData, persona: str) -> None:
    """An enterprise registered at the province itself ("广西（全省）") is counted in the row "广西壮族自治区
    （未细分）", whose link lists it alone, not the whole province."""
    enterprise("广西有色集团有限公司", "G5", "450000")
    client = regulator(hand, persona)
    pages = [client.get(reverse("analytics:dashboard")).content.decode()]
    pages.append(client.get(reverse("analytics:domains"), HTTP_HX_REQUEST="true").content.decode())
    links = [(url.replace("&amp;", "&"), int(n)) for page in pages for url, n in LINK.findall(page)]
    assert len(links) > 20
    for url, n in links:
        response = client.get(url)
        assert response.status_code == 200, url
        count = int(re.search(r'id="drill-count">(\d+)<', response.content.decode()).group(1))  # type: ignore[union-attr]
        assert count == n, url


@pytest.mark.django_db
def test_drill_downs_list_the_right_enterprises(hand: HandData) -> None:
    client = regulator(hand)
    f = DashboardFilter()
    assert names(client, present.drill_url(f, min_grade=2)) == ["百色铝业有限公司", "金城江矿业有限公司"]
    assert names(client, present.drill_url(f, status="never")) == ["南宁铝材有限公司"]
    assert names(client, present.drill_url(f, status="draft")) == ["南宁铝材有限公司"]
    assert names(client, present.drill_url(f, status="stale")) == ["南丹锡业有限公司"]
    assert names(client, present.drill_url(f, kind="formal")) == ["金城江矿业有限公司"]
    assert names(client, present.drill_url(f, result_year=2025)) == ["南丹锡业有限公司", "百色铝业有限公司"]
    assert names(client, present.drill_url(f.with_(region="451200"), grade=1)) == ["南丹锡业有限公司"]
    # The heat map's cell lists the division's enterprises, weakest in that domain first: D2 B 0.5 < E1 1 < A 2.
    by_domain = present.drill_url(f, domain=hand.d2, sort="domain")
    assert names(client, by_domain) == ["百色铝业有限公司", "金城江矿业有限公司", "南丹锡业有限公司"]
    assert names(client, by_domain.replace("sort=domain", "sort=-domain"))[0] == "南丹锡业有限公司"
    assert names(client, present.drill_url(f, sort="-total")) == [
        "百色铝业有限公司",
        "金城江矿业有限公司",
        "南丹锡业有限公司",
        "南宁铝材有限公司",  # no result: last, whichever the direction
    ]
    assert names(client, present.drill_url(f, sort="total"))[-1] == "南宁铝材有限公司"
    # Outside the jurisdiction: 湖南's regulator asking for 河池 gets his own province.
    assert names(regulator(hand, "hunan_regulator"), present.drill_url(f, region="451200")) == [
        "湖南有色冶炼有限公司"
    ]


@pytest.mark.django_db
def test_a_domain_list_shows_the_level_figures_the_dashboard_averages(hand: HandData) -> None:
    # QA12-F7: the S1–S5 averages of a domain drilled to a list that showed only the domain's maturity.
    client = regulator(hand)
    page = client.get(present.drill_url(DashboardFilter(), domain=hand.d1, sort="domain")).content.decode()
    assert all(f">S{n}</th>" in page for n in range(1, 6))
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    figures = [
        re.findall(r'<td class="text-end num[^"]*">([^<]*)</td>', row)[1:]  # the total, then the domain's six
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]
    assert figures == [
        ["1.00", "0.90", "0.30", "—", "—", "—"],  # A
        ["2.00", "1.00", "0.80", "—", "—", "—"],  # E1
        ["3.00", "1.00", "1.00", "0.90", "—", "—"],  # B
    ]
    # The dashboard's S1 of the domain is the mean of that column: (0.9 + 1 + 1) / 3 = 0.96.
    domains = client.get(reverse("analytics:domains"), HTTP_HX_REQUEST="true").content.decode()
    assert re.search(rf">{hand.d1}</a>.*?0\.96", domains, flags=re.S)


def test_the_list_pages(hand: HandData) -> None:
    for i in range(55):
        add_result(
            enterprise(f"河池合成企业{i:02d}", f"P{i:02d}", "451221"),
            when="2026-04-01",
            grade=1,
            total="1.50",
            domains={},
        )
    client = regulator(hand)
    url = reverse("analytics:enterprises") + "?region=451200&grade=1"
    first = client.get(url).content.decode()
    assert 'id="drill-count">56<' in first  # A and the 55
    assert len(re.findall(r'<td><a href="/enterprises/', first)) == 50
    second = names(client, url + "&page=2")
    assert len(second) == 6


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_data(hand: HandData, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = regulator(hand)
    paths = [
        (reverse("analytics:dashboard"), 9),
        (reverse("analytics:domains"), 6),
        (reverse("analytics:trends"), 6),
        (reverse("analytics:enterprises") + "?domain=" + hand.d1 + "&sort=domain", 9),
    ]
    for url, expected in paths:
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200
    for i in range(20):
        add_result(
            enterprise(f"百色合成企业{i:02d}", f"Q{i:02d}", "451002"),
            when="2026-04-01",
            grade=2,
            total="2.50",
            domains={hand.d1: ("2", "1")},
        )
    for url, expected in paths:
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_heat_map_cell_lists_the_enterprises_it_averages(hand: HandData) -> None:
    group = enterprise("广西有色集团有限公司", "G5", "450000")  # registered at the province itself
    add_result(group, when="2026-06-01", grade=2, total="2.00", domains={hand.d1: ("4",), hand.d2: ("3",)})
    client = regulator(hand)
    page = client.get(reverse("analytics:domains"), HTTP_HX_REQUEST="true").content.decode()
    rows = dict(re.findall(r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*><a href="([^"]+)"', page))
    assert set(rows) == {"河池市", "百色市", "广西壮族自治区（未细分）"}
    listed = {label: names(client, url.replace("&amp;", "&")) for label, url in rows.items()}
    assert listed == {
        "河池市": ["金城江矿业有限公司", "南丹锡业有限公司"],  # D2 (the first column): E1 1.0 before A 2.0
        "百色市": ["百色铝业有限公司"],
        "广西壮族自治区（未细分）": ["广西有色集团有限公司"],
    }
