"""Regression tests for the findings of the outside QA (/work/brief/qa_findings.md, F-numbers there)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nfmaturity.accounts.models import Membership
from tests.web.conftest import World

pytestmark = pytest.mark.django_db


def test_the_remove_member_page_keeps_the_viewers_own_navigation(world: World) -> None:
    # F3: the page passed the member to remove as "membership", the name of the viewer's own seat, so the
    # platform admin's navigation turned into the enterprise's (企业信息, 评估历史, 成员管理 → 404).
    target = Membership.objects.get(user=world.users["ent_member"])
    url = reverse("backoffice:membership_remove", args=[target.pk])
    html = world.client("platform_admin").get(url).content.decode()
    assert "后台管理" in html and "· 平台管理员" in html
    assert reverse("accounts:members") not in html
    assert reverse("enterprises:detail", args=[world.enterprise.pk]) not in html
    assert "将 " in html and "移出南丹锡业有限公司" in html
