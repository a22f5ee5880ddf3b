"""``nfm report``: write the PDF, Word or Excel file of an assessment's latest stored result.

The same builders as the platform's background worker (``reports.jobs.build``), run here in the foreground;
reads the same environment as ``nfm serve``. Exit codes: 0 written, 1 the file could not be built or written,
2 a usage error (no such assessment, no stored result).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nfmaturity.cli.assessment_cmd import EXIT_FAILED, EXIT_OK, EXIT_USAGE, configure

FORMATS = ("pdf", "docx", "xlsx")
LABELS = {"pdf": "PDF 报告", "docx": "Word 报告", "xlsx": "Excel 评分导出"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="生成一次评估的报告文件（PDF、Word 或 Excel）",
        description="按一次评估最新保存的结果生成报告文件（PDF、Word）或评分导出（Excel）。",
    )
    parser.add_argument("--assessment", required=True, type=int, metavar="编号", help="评估编号")
    parser.add_argument("--format", required=True, choices=FORMATS, help="文件格式：pdf、docx 或 xlsx")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="文件", help="输出文件")
    parser.add_argument(
        "--expert-ratings",
        action="store_true",
        help="正式评估的 Excel 文件中列出每位专家的评分（默认只列合议确定的评分）",
    )
    parser.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    configure()
    from nfmaturity.assessments.models import Assessment
    from nfmaturity.reports.jobs import ReportBuildError, build
    from nfmaturity.reports.models import ReportFormat
    from nfmaturity.reports.selectors import latest_results

    assessment = Assessment.objects.select_related("enterprise", "unit").filter(pk=args.assessment).first()
    if assessment is None:
        print(f"找不到编号为 {args.assessment} 的评估。", file=sys.stderr)
        return EXIT_USAGE
    result = latest_results([assessment.pk]).get(assessment.pk)
    if result is None:
        print(f"评估 {assessment.pk} 还没有保存的结果（尚未提交），无法生成报告。", file=sys.stderr)
        return EXIT_USAGE
    result.assessment = assessment
    label = LABELS[args.format]
    print(
        f"正在生成{label}：{assessment.enterprise.name}，{assessment.get_sector_display()}"
        f"{assessment.get_kind_display()}，第 {result.version} 版结果……",
        flush=True,
    )
    began = time.perf_counter()

    def progress(percent: int) -> None:
        print(f"  进度 {percent}%", flush=True)

    try:
        data = build(result, ReportFormat(args.format), expert_detail=args.expert_ratings, progress=progress)
    except ReportBuildError as exc:
        print(f"生成失败：{exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a builder's own failure: say so in one line, not a traceback
        print(f"生成失败：内部错误（{type(exc).__name__}：{exc}）", file=sys.stderr)
        return EXIT_FAILED
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        print(f"无法写入 {args.output}：{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    size = f"{len(data) / 1048576:.1f} MB" if len(data) >= 1048576 else f"{len(data) / 1024:.0f} KB"
    print(f"  进度 100%\n已写入 {args.output}（{size}，用时 {time.perf_counter() - began:.1f} 秒）。")
    return EXIT_OK
