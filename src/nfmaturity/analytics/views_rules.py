"""Policy rule pages: the organisation's rules beside the shipped examples, a form to create and edit one, a run
page listing the matching enterprises with why each matched, and the Excel export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.analytics import services
from nfmaturity.analytics.forms import RuleForm, initial_for
from nfmaturity.analytics.models import PolicyRule
from nfmaturity.analytics.rules import (
    EXAMPLES,
    RuleDefinition,
    evaluate,
    example,
    get_rule_for_user,
    matches,
    matches_workbook,
    parse_definition,
    rules_organisation,
)
from nfmaturity.analytics.selectors import is_demo_database
from nfmaturity.enterprises import regions

PAGE_SIZE = 50
READING = (
    "等级提升：最近一次已提交评估的等级减去时间范围内同一环节最早一次已提交评估的等级；时间范围内只有一次评估的不算提升。"
    "正式评估结果：最近一次已发布的正式评估结果。能力域得分：最近一次已提交评估中该能力域的得分，该等级不参与计分的不匹配。"
    "规模、环节、金属、规上、地区：企业档案的当前信息。只统计管辖范围内已核验的企业。"
)


@login_required
@require_safe
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    organisation = rules_organisation(request.user)
    rules = [
        (rule, _definition_or_none(rule))
        for rule in PolicyRule.objects.filter(organisation=organisation).select_related("updated_by")
    ]
    return render(
        request,
        "analytics/rules_list.html",
        {"organisation": organisation, "rules": rules, "examples": EXAMPLES},
    )


def _definition_or_none(rule: PolicyRule) -> RuleDefinition | None:
    try:
        return parse_definition(rule.definition)
    except ValueError:  # a definition an older version of the platform wrote differently
        return None


def _form_page(
    request: AuthenticatedRequest, form: RuleForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, "analytics/rules_form.html", {"form": form, **extra}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: AuthenticatedRequest) -> HttpResponse:
    organisation = rules_organisation(request.user)
    source = example(request.GET.get("from", "")) if request.GET.get("from") else None
    if request.GET.get("from") and source is None:
        raise Http404
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {"name": source.name, "description": source.description, **initial_for(source.definition)}
    form = RuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        jurisdiction=organisation.jurisdiction,
    )
    if request.method == "POST" and form.is_valid():
        assert form.definition is not None
        try:
            rule = services.create_rule(
                organisation=organisation,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                definition=form.definition,
                copied_from=source.key if source is not None else "",
            )
        except services.AnalyticsError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"已保存规则“{rule.name}”")
            return redirect("analytics:rule_run", rule.pk)
    status = 422 if request.method == "POST" else 200
    return _form_page(request, form, status=status, source=source, rule=None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_rule_for_user(request.user, pk)
    organisation = rules_organisation(request.user)
    current = _definition_or_none(rule)
    initial = {"name": rule.name, "description": rule.description, "version": rule.version}
    if current is not None:
        initial.update(initial_for(current))
    form = RuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        jurisdiction=organisation.jurisdiction,
    )
    if request.method == "POST" and form.is_valid():
        assert form.definition is not None
        try:
            services.update_rule(
                rule=rule,
                actor=request.user,
                base_version=form.cleaned_data["version"] or 0,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                definition=form.definition,
            )
        except services.StaleError as exc:
            rule.refresh_from_db()
            form.add_error(None, exc.message)
            # Keep what was typed; the newer rule is shown beside it and its version taken for the next save.
            data = request.POST.copy()
            data["version"] = str(rule.version)
            form.data = data
            return _form_page(request, form, status=409, rule=rule, newer=_definition_or_none(rule))
        except services.AnalyticsError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"已保存规则“{form.cleaned_data['name']}”")
            return redirect("analytics:rule_run", rule.pk)
    status = 422 if request.method == "POST" else 200
    return _form_page(request, form, status=status, rule=rule)


@login_required
@require_POST
def rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_rule_for_user(request.user, pk)
    version = request.POST.get("version", "")
    try:
        services.delete_rule(
            rule=rule, actor=request.user, base_version=int(version) if version.isdigit() else 0
        )
    except services.StaleError as exc:
        messages.error(request, exc.message)
        return redirect("analytics:rule_edit", rule.pk)
    messages.success(request, f"已删除规则“{rule.name}”")
    return redirect("analytics:rule_list")


def _run_page(
    request: AuthenticatedRequest,
    *,
    name: str,
    description: str,
    definition: RuleDefinition,
    rule: PolicyRule | None,
    example_key: str = "",
) -> HttpResponse:
    organisation = rules_organisation(request.user)
    demo = is_demo_database()
    rows = evaluate(definition, organisation.jurisdiction, demo=demo)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/rules_run.html",
        {
            "name": name,
            "description": description,
            "definition": definition,
            "rule": rule,
            "example_key": example_key,
            "page": page,
            "matches": matches(definition, list(page.object_list)),
            "jurisdiction_name": regions.jurisdiction_name(organisation.jurisdiction),
            "demo": demo,
            "reading": READING,
        },
    )


@login_required
@require_safe
def rule_run(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_rule_for_user(request.user, pk)
    definition = _definition_or_none(rule)
    if definition is None:
        messages.error(request, "这条规则的条件无法识别，请重新编辑后保存")
        return redirect("analytics:rule_edit", rule.pk)
    return _run_page(request, name=rule.name, description=rule.description, definition=definition, rule=rule)


@login_required
@require_safe
def example_run(request: AuthenticatedRequest, key: str) -> HttpResponse:
    rules_organisation(request.user)
    shipped = example(key)
    if shipped is None:
        raise Http404
    return _run_page(
        request,
        name=shipped.name,
        description=shipped.description,
        definition=shipped.definition,
        rule=None,
        example_key=shipped.key,
    )


@login_required
@require_safe
def rule_export(request: AuthenticatedRequest, pk: int) -> FileResponse:
    rule = get_rule_for_user(request.user, pk)
    organisation = rules_organisation(request.user)
    definition = _definition_or_none(rule)
    if definition is None:
        raise Http404
    now = timezone.localtime()
    demo_database = is_demo_database()
    rows = evaluate(definition, organisation.jurisdiction, demo=demo_database)
    demo = "（演示数据）" if demo_database else ""
    heading = (
        f"规则“{rule.name}”的匹配企业{demo} · 管辖范围 {regions.jurisdiction_name(organisation.jurisdiction)} · "
        f"条件：{definition.describe()} · 导出时间 {now:%Y-%m-%d %H:%M}"
    )
    workbook, written = matches_workbook(definition, rows, heading=heading)
    services.record_rule_export(rule=rule, actor=request.user, rows=written)
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=f"规则匹配-{rule.name[:30]}-{now:%Y%m%d-%H%M}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
