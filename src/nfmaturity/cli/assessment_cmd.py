"""``nfm assessment list`` and ``nfm assessment export``: the platform's assessments for batch work.

Both read the same environment as ``nfm serve`` (NFM_DATA_DIR, DATABASE_URL): run them with the platform's own
configuration. ``export`` writes the ratings in the input format of ``nfm score``, so the stored total can be
checked independently: ``nfm score 导出.json`` gives the total of the assessment's latest stored result.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from nfmaturity.cli.text_table import render

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser(
        "assessment", help="列出或导出平台上的评估", description="列出平台上的评估，或导出一次评估的评分。"
    )
    commands = group.add_subparsers(title="子命令", dest="assessment_command", metavar="子命令")
    listing = commands.add_parser(
        "list", help="列出评估", description="列出平台上的评估（自评估与正式评估）及其最新保存的结果。"
    )
    listing.add_argument("--enterprise", metavar="信用代码", help="只列出该统一社会信用代码的企业的评估")
    listing.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="输出格式：text 为中文表格，json 为 JSON 数组",
    )
    listing.set_defaults(handler=list_command)
    export = commands.add_parser(
        "export",
        help="把一次评估的评分导出为 nfm score 可读的 JSON",
        description=(
            "把一次评估的评分（已提交的取最新保存结果所依据的评分；正式评估为评估组合议确定的评分）"
            "写成 nfm score 的输入格式。"
        ),
    )
    export.add_argument("--assessment", required=True, type=int, metavar="编号", help="评估编号")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="文件", help="输出的 JSON 文件")
    export.set_defaults(handler=export_command)
    group.set_defaults(handler=lambda args: _usage(group))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def configure() -> None:
    """Set Django up with the platform's settings (once)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nfmaturity.web.settings")
    if not (os.environ.get("NFM_SECRET_KEY") or os.environ.get("NFM_SECRET_KEY_FILE")):
        # These commands sign nothing; the settings insist on a key only to protect a serving platform.
        os.environ["NFM_SECRET_KEY"] = secrets.token_urlsafe(48)
    import django
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready:
        return
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def list_command(args: argparse.Namespace) -> int:
    configure()
    from nfmaturity.reports.selectors import assessments_for_cli, latest_results

    rows = list(assessments_for_cli(args.enterprise))
    if args.enterprise and not rows:
        print(f"没有统一社会信用代码为 {args.enterprise} 的企业的评估。", file=sys.stderr)
        return EXIT_FAILED
    results = latest_results([a.pk for a in rows])
    documents: list[dict[str, Any]] = []
    for assessment in rows:
        result = results.get(assessment.pk)
        documents.append(
            {
                "id": assessment.pk,
                "enterprise": assessment.enterprise.name,
                "uscc": assessment.enterprise.uscc or "",
                "subject": assessment.subject,
                "sector": assessment.sector,
                "sector_label": assessment.get_sector_display(),
                "kind": assessment.kind,
                "kind_label": assessment.get_kind_display(),
                "state": assessment.state,
                "state_label": assessment.get_state_display(),
                "catalog_version": assessment.catalog_version,
                "result": None
                if result is None
                else {
                    "version": result.version,
                    "total": result.total,
                    "total_shown": str(result.total_shown),
                    "grade": result.grade,
                    "grade_label": result.get_grade_display(),
                },
            }
        )
    if args.format == "json":
        print(json.dumps(documents, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not documents:
        print("平台上还没有评估。")
        return EXIT_OK
    table = [
        [
            str(d["id"]),
            d["enterprise"],
            d["uscc"],
            d["subject"],
            d["sector_label"],
            d["kind_label"],
            d["state_label"],
            "—" if d["result"] is None else f"{d['result']['total_shown']}（{d['result']['grade_label']}）",
            "—" if d["result"] is None else f"第 {d['result']['version']} 版",
        ]
        for d in documents
    ]
    header = ["编号", "企业", "统一社会信用代码", "评估对象", "环节", "类型", "状态", "最新结果", "结果版本"]
    print(render(header, table, right=[True, *[False] * 8]))
    print(f"共 {len(documents)} 次评估。")
    return EXIT_OK


def export_command(args: argparse.Namespace) -> int:
    configure()
    from nfmaturity.assessments.models import Assessment, RatingValue
    from nfmaturity.reports.selectors import GivenRating, latest_results, ratings_of

    assessment = Assessment.objects.select_related("enterprise").filter(pk=args.assessment).first()
    if assessment is None:
        print(f"找不到编号为 {args.assessment} 的评估。", file=sys.stderr)
        return EXIT_USAGE
    result = latest_results([assessment.pk]).get(assessment.pk)
    if result is not None:
        result.assessment = assessment
        given = ratings_of(result)
    else:  # a draft: the ratings given so far (nfm score will name the ones still missing)
        given = {r.requirement_id: GivenRating(r.value, r.reason) for r in assessment.ratings.all()}
    document = {
        "sector": assessment.sector,
        "version": assessment.catalog_version,
        "ratings": dict(sorted((rid, r.value) for rid, r in given.items())),
        "na_reasons": dict(
            sorted((rid, r.reason) for rid, r in given.items() if r.value == RatingValue.NOT_APPLICABLE)
        ),
    }
    try:
        args.output.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"无法写入 {args.output}：{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    where = (
        f"第 {result.version} 版结果所依据的评分" if result is not None else "目前已填写的评分（尚未提交）"
    )
    print(
        f"已导出评估 {assessment.pk}（{assessment.enterprise.name}，{assessment.get_sector_display()}"
        f"{assessment.get_kind_display()}）{where} {len(given)} 项 → {args.output}"
    )
    return EXIT_OK
