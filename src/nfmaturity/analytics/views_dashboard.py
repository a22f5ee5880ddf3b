"""The regulator's dashboard, its drill-down lists and their Excel exports.

Who may see them: the regulators (each over his jurisdiction) and the platform admin (national). Anyone else
signed in gets 404, as for the rules pages beside them (nothing here is theirs to read), anonymous users the
login page. Every page
reads the same ``DashboardFilter`` from the query string, so a number, its list and its export agree.

The domain figures (averages and heat map) and the yearly trends are separate requests that the dashboard
loads with htmx once it is shown (and links to, without JavaScript): they read the domain rows of every
latest result, the heaviest reads, and the page's own figures need not wait for them (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from nfmaturity.accounts.fragment_pages import fragment_or_page
from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.analytics import dashboard as present
from nfmaturity.analytics import export, selectors
from nfmaturity.analytics.filters import (
    ABOVE_LABELS,
    SORT_LABELS,
    DashboardFilter,
    Drill,
    region_choices,
)
from nfmaturity.assessments.models import SCORE_COLUMNS, AssessmentKind, GradeLevel
from nfmaturity.enterprises import regions
from nfmaturity.enterprises.access import jurisdiction_of
from nfmaturity.enterprises.models import Metal, SectorChoice, SizeClass

PAGE_SIZE = 50
LEVEL_HEADS = ["平均成熟度", "S1", "S2", "S3", "S4", "S5"]
assert len(LEVEL_HEADS) == len(SCORE_COLUMNS)


def _filters(request: AuthenticatedRequest) -> tuple[str, DashboardFilter]:
    jurisdiction = jurisdiction_of(request.user)
    if jurisdiction is None:
        raise Http404
    return jurisdiction, DashboardFilter.from_query(request.GET, jurisdiction=jurisdiction)


def _common(jurisdiction: str, filters: DashboardFilter) -> dict[str, object]:
    """What the filter form and the page heading need."""
    return {
        "filters": filters,
        "chips": filters.chips(),
        "query": present.query_string(filters),
        "jurisdiction_name": regions.jurisdiction_name(jurisdiction),
        "region_choices": region_choices(jurisdiction),
        "sectors": SectorChoice.choices,
        "metals": Metal.choices,
        "sizes": SizeClass.choices,
        "aboves": list(ABOVE_LABELS.items()),
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 8, -1)),
    }


@login_required
@require_safe
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    jurisdiction, filters = _filters(request)
    board = selectors.dashboard(request.user, filters)

    def rows(tallies: list[selectors.Tally]) -> list[present.TallyRow]:
        return present.tally_rows(tallies, filters)

    sections = [
        (board.region_heading, "地区", rows(board.by_region)),
        ("按环节", "环节", rows(board.by_sector)),
        ("按金属", "金属", rows(board.by_metal)),
        ("按企业规模", "规模", rows(board.by_size)),
        ("规上与规下", "类别", rows(board.by_above)),
        ("按最近一次提交年份", "年份", rows(board.by_year)),
        ("按最近结果的评估类型", "评估类型", rows(board.by_kind)),
    ]
    overall = present.tally_row(board.overall, filters)
    pyramid = [
        (label, cell, selectors.share(int(cell.value), board.overall.assessed))  # type: ignore[call-overload]
        for label, cell in reversed(list(zip(board.grade_labels, overall.grades, strict=True)))
    ]

    def link(**extra: object) -> str:
        return present.drill_url(filters, **extra)

    return render(
        request,
        "analytics/dashboard.html",
        {
            **_common(jurisdiction, filters),
            "board": board,
            "overall": overall,
            "pyramid": pyramid,
            "sections": sections,
            "index_report_url": _index_report_url(),
            "status_links": {
                "never": link(status="never"),
                "draft": link(status="draft"),
                "stale": link(status="stale"),
            },
        },
    )


def _index_report_url() -> str:
    """The yearly index report's page (reports layer, above this one: found by URL name, never imported);
    empty while the reports app does not route it."""
    try:
        return reverse("reports:index_report")
    except NoReverseMatch:
        return ""


@login_required
@require_safe
def domains(request: AuthenticatedRequest) -> HttpResponse:
    """Domain averages per level (weakest first) and the heat map division × domain."""
    jurisdiction, filters = _filters(request)
    figures = selectors.domain_figures(request.user, filters)
    domain_rows = [
        {
            **d,
            "url": present.drill_url(filters, domain=d["name"], sort="domain"),
            "subdomains_url": reverse("analytics:subdomains")
            + "?"
            + present.query_string(filters, domain=d["name"]),
        }
        for d in figures.domains
    ]
    heat_rows = [
        (
            label,
            [
                (
                    value,
                    present.heat_class(value),
                    present.drill_url(
                        filters.with_(region=code or filters.region),
                        domain=name,
                        sort="domain",
                        at="" if code else figures.area,
                    ),
                )
                for name, value in zip(figures.heat_domains, cells, strict=True)
            ],
        )
        for label, code, cells in figures.heat_rows
    ]
    context = {
        **_common(jurisdiction, filters),
        "figures": figures,
        "domain_rows": domain_rows,
        "heat_rows": heat_rows,
        "level_heads": LEVEL_HEADS,
        "legend": list(zip(present.HEAT_CLASSES, present.HEAT_LEGEND, strict=True)),
    }
    return fragment_or_page(request, "analytics/_domains.html", "analytics/domains.html", context)


@login_required
@require_safe
def trends(request: AuthenticatedRequest) -> HttpResponse:
    jurisdiction, filters = _filters(request)
    rows = [
        {**t, "url": present.drill_url(filters, result_year=t["year"])}
        for t in selectors.trends(request.user, filters)
    ]
    context = {**_common(jurisdiction, filters), "trends": rows}
    return fragment_or_page(request, "analytics/_trends.html", "analytics/trends.html", context)


def _subdomain_of(request: AuthenticatedRequest) -> str:
    names = selectors.domain_names()
    domain = request.GET.get("domain", "")
    return domain if domain in names else names[0]


@login_required
@require_safe
def subdomains(request: AuthenticatedRequest) -> HttpResponse:
    jurisdiction, filters = _filters(request)
    names = selectors.domain_names()
    domain = _subdomain_of(request)
    rows = selectors.subdomain_averages(request.user, filters, domain)
    return render(
        request,
        "analytics/subdomains.html",
        {
            **_common(jurisdiction, filters),
            "domain": domain,
            "domain_keep": [("domain", domain)],
            "domain_names": names,
            "rows": rows,
            "level_heads": LEVEL_HEADS,
            "domain_url": present.drill_url(filters, domain=domain, sort="domain"),
            "export_query": present.query_string(filters, domain=domain),
        },
    )


@login_required
@require_safe
def export_subdomains(request: AuthenticatedRequest) -> FileResponse:
    """The sub-domain page's table as Excel (the dashboard's workbook holds the domains, the heat map and the
    trends; the sub-domains are read one domain at a time, as on the page)."""
    jurisdiction, filters = _filters(request)
    domain = _subdomain_of(request)
    rows = selectors.subdomain_averages(request.user, filters, domain)
    demo = ["演示数据"] if selectors.is_demo_database() else []
    scope = export.scope_line(
        "能力子域得分", regions.jurisdiction_name(jurisdiction), filters, [f"能力域：{domain}", *demo]
    )
    now = timezone.localtime()
    return FileResponse(
        export.spooled(export.write_subdomain_workbook, rows, scope=scope),
        as_attachment=True,
        filename=f"能力子域-{domain}-{now:%Y%m%d-%H%M}.xlsx",
        content_type=export.XLSX,
    )


def _drill(request: AuthenticatedRequest) -> tuple[str, DashboardFilter, Drill, str]:
    jurisdiction, filters = _filters(request)
    drill = Drill.from_query(request.GET, domains=set(selectors.domain_names()))
    if drill.at and not regions.covers(jurisdiction, drill.at):
        # Another area's code would list nothing anyway; dropped, so no heading or export names it (QA12-F9).
        drill = replace(drill, at="")
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in SORT_LABELS or (sort.lstrip("-") == "domain" and not drill.domain):
        sort = "name"
    return jurisdiction, filters, drill, sort


@login_required
@require_safe
def enterprises(request: AuthenticatedRequest) -> HttpResponse:
    """The enterprises behind a dashboard number: paged, sortable, exportable."""
    jurisdiction, filters, drill, sort = _drill(request)
    rows = selectors.drill_rows(request.user, filters, drill, sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    base = present.query_string(filters, **drill.params())
    sorts = []
    for key, label in SORT_LABELS.items():
        if key == "domain" and not drill.domain:
            continue
        # A click on the current column turns its order round; a first click sorts figures high to low.
        if sort == key:
            target = f"-{key}"
        elif sort == f"-{key}":
            target = key
        else:
            target = f"-{key}" if key in ("total", "date", "domain") else key
        sorts.append(
            (label, f"?{base}&sort={target}" if base else f"?sort={target}", sort.lstrip("-") == key)
        )
    return render(
        request,
        "analytics/enterprises.html",
        {
            **_common(jurisdiction, filters),
            "drill": drill,
            "drill_chips": drill.chips(),
            "level_heads": LEVEL_HEADS[1:],  # a domain's S1–S5 beside its maturity
            "page": page,
            "sort": sort,
            "sorts": sorts,
            "page_query": f"{base}&sort={sort}" if base else f"sort={sort}",
            "export_query": f"{base}&sort={sort}" if base else f"sort={sort}",
            "dashboard_query": present.query_string(filters),
            "grade_labels": dict(GradeLevel.choices),
            "kind_labels": dict(AssessmentKind.choices),
            "demo": selectors.is_demo_database(),
        },
    )


@login_required
@require_safe
def export_enterprises(request: AuthenticatedRequest) -> FileResponse:
    jurisdiction, filters, drill, sort = _drill(request)
    rows = selectors.drill_rows(request.user, filters, drill, sort)
    demo = ["演示数据"] if selectors.is_demo_database() else []
    scope = export.scope_line(
        "企业清单", regions.jurisdiction_name(jurisdiction), filters, [*drill.chips(), *demo]
    )
    now = timezone.localtime()
    return FileResponse(
        export.spooled(export.write_list_workbook, rows, scope=scope, domain=drill.domain),
        as_attachment=True,
        filename=f"企业清单-{now:%Y%m%d-%H%M}.xlsx",
        content_type=export.XLSX,
    )


@login_required
@require_safe
def export_dashboard(request: AuthenticatedRequest) -> FileResponse:
    jurisdiction, filters = _filters(request)
    board = selectors.dashboard(request.user, filters)
    figures = selectors.domain_figures(request.user, filters)
    trend_rows = selectors.trends(request.user, filters)
    demo = ["演示数据"] if board.viewer.demo else []
    scope = export.scope_line("行业看板", regions.jurisdiction_name(jurisdiction), filters, demo)
    now = timezone.localtime()
    return FileResponse(
        export.spooled(export.write_dashboard_workbook, board, figures, trend_rows, scope=scope),
        as_attachment=True,
        filename=f"行业看板-{now:%Y%m%d-%H%M}.xlsx",
        content_type=export.XLSX,
    )
