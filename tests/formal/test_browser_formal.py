"""The formal assessment's whole journey in a real Chromium, one decision per page: the enterprise applies
and uploads its plans, the body admin accepts and forms a team of seven, each member signs his declarations,
the 组长 writes the plans and records the first meeting, the enterprise confirms the plans, the 组长 starts the
on-site assessment; each expert's ratings come from the rating service (long and repetitive; the rating pages
are tested by their part); then the 组长 settles the disputed requirement and closes the consensus, the team
writes the conclusion, the 组长 sends it, the enterprise contests a point with a file, the 组长 accepts it and
re-scores, the enterprise compares the two versions and accepts, the 组长 records the final meeting, the body
admin publishes, the enterprise opts in to the public list, and an anonymous visitor verifies the result.
Set NFM_SCREENSHOT_DIR to keep screenshots (1280 and 390 px wide)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nfmaturity.formal.models import FormalAssessment, FormalState, TeamMember
from tests.web.conftest import World

from .factory import PASSWORD
from .test_process import rate_and_submit

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    from tests.web.test_browser import CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Full-page screenshots at desktop and phone width; the page must not scroll sideways on a phone."""
    target = os.environ.get("NFM_SCREENSHOT_DIR")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"formal-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_formal_assessment_from_application_to_public_verification(  # type: ignore[no-untyped-def]
    world: World, body, experts, live_server, page, tmp_path: Path
) -> None:
    base = live_server.url
    pdf = tmp_path / "规划.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% plan\n")

    # 企业申请: the enterprise admin fills the application, uploads its plans and submits.
    login(page, base, "ent_admin")
    page.goto(f"{base}/formal/apply/")
    page.select_option("#id_body", str(body.pk))
    page.select_option("#id_sector", "smelting")
    page.check("#id_lawful_declared")
    page.get_by_role("button", name="保存申请草稿").click()
    page.wait_for_url(re.compile(r"/formal/\d+/"))
    formal = FormalAssessment.objects.get()
    hub = f"{base}/formal/{formal.pk}"
    for kind in ("long_term_plan", "annual_targets", "implementation"):
        page.goto(f"{hub}/application/")
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(pdf))
        page.get_by_role("button", name="上传").click()
        page.wait_for_load_state()
    page.goto(f"{hub}/application/")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state()

    # 受理 and 组建评估组 by the body admin: seven experts, the first as 组长, sub-domains by discipline.
    login(page, base, "body_admin")
    page.goto(f"{hub}/application/")
    page.get_by_role("button", name="受理，开始组建评估组").click()
    page.wait_for_url(f"{hub}/")
    team_url = f"{hub}/team/"
    page.goto(team_url)
    for expert in experts[:7]:
        page.locator(f"form:has(input[name=expert][value='{expert.pk}']) button").click()
        page.wait_for_url(team_url)
    page.locator("form[action$='/leader/'] button:visible").first.click()
    page.wait_for_url(team_url)
    page.get_by_role("button", name="按专业领域自动分配").click()
    page.wait_for_url(team_url)
    # Each member signs both declarations himself.
    for expert in experts[:7]:
        login(page, base, expert.user.username)
        page.goto(team_url)
        page.get_by_role("button", name=re.compile("近三年无利益关系，签署")).click()
        page.wait_for_url(team_url)
        page.get_by_role("button", name=re.compile("信息保密，签署")).click()
        page.wait_for_url(team_url)
    login(page, base, "body_admin")
    page.goto(team_url)
    page.get_by_role("button", name="确认评估组").click()
    page.wait_for_load_state()
    members = list(
        TeamMember.objects.filter(formal=formal).select_related("expert__user").order_by("-is_leader", "pk")
    )
    assert members[0].is_leader and len(members) == 7
    leader = members[0].expert.user.username

    # 编制评估计划 by the 组长, confirmed by the enterprise; the first meeting; on site.
    login(page, base, leader)
    for kind in ("pre", "formal"):
        page.goto(f"{hub}/planning/{kind}/")
        page.fill("[name=purpose]", "评估企业数字化转型成熟度")
        page.fill("[name=scope]", "冶炼厂全部生产单元")
        page.fill("[name=start_date]", "2026-12-01")
        page.fill("[name=end_date]", "2026-12-03")
        page.get_by_role("button", name=re.compile("保存")).first.click()
        page.wait_for_load_state()
    page.goto(f"{hub}/planning/meeting/")
    page.fill("[name=held_at]", "2026-12-01T09:00")
    page.fill("[name=place]", "企业会议室")
    page.fill("[name=attendees]", "评估组全体、企业管理层")
    page.fill("[name=minutes]", "介绍评估计划与保密要求")
    page.get_by_role("button", name=re.compile("保存")).first.click()
    page.wait_for_load_state()
    login(page, base, "ent_admin")
    for label in ("确认预评估计划", "确认正式评估计划"):
        page.goto(f"{hub}/planning/")
        page.get_by_role("button", name=re.compile(label)).click()
        page.wait_for_load_state()
    login(page, base, leader)
    page.goto(f"{hub}/planning/")
    page.get_by_role("button", name="开始现场评估").click()
    page.wait_for_load_state()
    formal.refresh_from_db()
    assert formal.state == FormalState.ONSITE

    # 评估分析打分: 7 experts × their rows (the long, repetitive part) through the rating service.
    disputed = rate_and_submit(formal, members)
    view_rows = formal.assessment.catalog_version, formal.assessment.sector
    from nfmaturity.assessments.catalogs import sector_view

    view = sector_view(*view_rows)
    row_index = view.row_index[view.requirements[disputed].row]

    # 评分合议: the 组长 takes every unanimous rating, then rules on the disputed one, then closes.
    login(page, base, leader)
    page.goto(f"{hub}/consensus/")
    page.get_by_role("button", name=re.compile("采纳全部一致评分")).click()
    page.goto(f"{hub}/consensus/{row_index}/")
    form = page.locator(f"form.settle-form:has(input[name=requirement_id][value='{disputed}'])")
    form.locator("select[name=value]").select_option("0.8")
    form.locator("select[name=method]").select_option("leader")
    form.locator("input[name=rationale]").fill("现场抽查与系统演示一致，取中间评分")
    form.get_by_role("button", name="确定").click()
    page.wait_for_selector("text=已确定")
    page.goto(f"{hub}/consensus/")
    page.get_by_role("button", name="结束合议，进入形成评估结论").click()
    page.wait_for_load_state()

    # 形成评估结论: the 组长 drafts the texts and sends version 1 (deadline: the default 10 days).
    page.goto(f"{hub}/")
    page.get_by_role("link", name="编写评估结论并批准发送评估结果").first.click()
    page.fill("#id_overall_assessment", "企业达到规范级，集成级部分满足。")
    page.fill("#id_strengths", "组织建设完整，制度健全。")
    page.fill("#id_weaknesses", "数据集成不足。")
    page.fill("#id_recommendations", "建设统一数据平台。")
    page.get_by_role("button", name="保存结论草稿").click()
    page.wait_for_selector("text=评估结论已保存")
    shot(page, "conclusion")
    page.get_by_role("button", name="批准并发送").click()
    page.wait_for_selector("text=已批准并发送第 1 版评估结果")

    # 结果沟通: the enterprise sees its task, the result, and contests one requirement with a file.
    login(page, base, "ent_admin")
    assert page.locator("#unread-count").inner_text()  # the nav's unread count (loaded by htmx)
    shot(page, "home-tasks")
    page.goto(f"{base}/accounts/notifications/")
    shot(page, "notifications")
    page.goto(f"{base}/")
    page.get_by_role("link", name=re.compile("确认评估结果或提出异议")).click()
    assert page.locator("#grade").inner_text()
    shot(page, "results-sent")
    contested = next(r for r in view.requirements.values() if int(r.level) == 3)
    page.select_option("#id_requirement_id", contested.id)
    page.fill("#id_argument", "该系统已于去年全面上线，附验收报告。")
    evidence = tmp_path / "验收报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% acceptance report\n")
    page.set_input_files("#contest-files", str(evidence))
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_selector("text=异议已提交")

    # 再次论证: the 组长 accepts the point (re-rated 全部满足) and re-scores: version 2 is sent.
    login(page, base, leader)
    page.goto(f"{hub}/rebuttal/")
    assert "验收报告.pdf" in page.content()
    page.get_by_label("采纳，重新确定评分").check()
    page.locator("select[name$='-value']").select_option("1")
    page.locator("textarea[name$='-answer']").fill("验收报告与现场核查一致，采纳。")
    page.get_by_role("button", name="提交答复").click()
    page.wait_for_selector("text=已答复该异议")
    shot(page, "rebuttal")
    page.get_by_role("button", name="重新评分").click()
    page.wait_for_selector("text=已重新评分并发送第 2 版评估结果")

    # The enterprise compares the versions and accepts version 2.
    login(page, base, "ent_admin")
    page.goto(f"{hub}/results/")
    page.get_by_role("link", name="比较版本").click()
    ratings = page.locator("#diff-ratings").inner_text()
    assert "部分满足" in ratings and "全部满足" in ratings
    shot(page, "diff")
    page.goto(f"{hub}/results/")
    page.get_by_role("button", name="确认评估结果，无异议").click()
    page.wait_for_selector("text=已确认评估结果")

    # 末次会议 by the 组长, publication by the body admin.
    login(page, base, leader)
    page.goto(f"{hub}/final/")
    page.fill("#id_held_at", "2026-12-10T09:30")
    page.fill("#id_place", "企业会议室")
    page.fill("#id_attendees", "评估组全体、企业管理层")
    page.fill("#id_minutes", "通报第 2 版评估结果，企业无异议。")
    page.fill("#id_final_conclusion", "该企业数字化转型成熟度评估结论以第 2 版结果为准。")
    page.get_by_role("button", name="保存末次会议记录").click()
    page.wait_for_selector("text=末次会议与最终结论已记录")
    login(page, base, "body_admin")
    page.get_by_role("link", name=re.compile("发布评估结果")).first.click()
    shot(page, "final")
    page.get_by_role("button", name="发布评估结果").click()
    page.wait_for_selector("text=评估结果已发布")
    formal = FormalAssessment.objects.get(pk=formal.pk)
    assert formal.state == FormalState.PUBLISHED and formal.published_result is not None
    assert formal.published_result.version == 2
    page.wait_for_selector("#timeline li")
    shot(page, "published")

    # The enterprise opts in to the public list; anyone verifies the result with number and check code.
    login(page, base, "ent_admin")
    page.goto(f"{hub}/results/")
    page.get_by_role("button", name="在公开名单中展示本结果").click()
    page.context.clear_cookies()
    page.goto(f"{base}/formal/published/")
    assert formal.result_number in page.locator("#public-list").inner_text()
    page.goto(f"{base}/formal/verify/")
    page.fill("#id_result_number", formal.result_number or "")
    page.fill("#id_check_code", "WRONG123")
    page.get_by_role("button", name="验证").click()
    assert "未查询到" in page.locator("#verify-error").inner_text()
    page.fill("#id_check_code", formal.check_code)
    page.get_by_role("button", name="验证").click()
    assert page.locator("#verified-grade").inner_text() == formal.published_result.get_grade_display()
    shot(page, "verified")
