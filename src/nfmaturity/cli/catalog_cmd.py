"""``nfm catalog …``: validate, export and explain the standard's catalog."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

from nfmaturity.catalog.export import notes_document, sector_document
from nfmaturity.catalog.loader import DEFAULT_VERSION, CatalogError, available_versions, load_catalog
from nfmaturity.catalog.model import Catalog, Level, Section, Sector
from nfmaturity.cli.text_table import render
from nfmaturity.workbook.xlsx import write_workbook

_SECTOR_ALIASES = {**{s.value: s for s in Sector}, **{s.label: s for s in Sector}}
SECTOR_HELP = "、".join(f"{s.value}/{s.label}" for s in Sector)  # mining/采选、smelting/冶炼、processing/加工


def sector_arg(value: str) -> Sector:
    """Accept ``smelting`` or ``冶炼``."""
    try:
        return _SECTOR_ALIASES[value.strip()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"无效的行业“{value}”：可选 {SECTOR_HELP}") from None


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalog = commands.add_parser(
        "catalog", help="评估标准目录：校验、导出、原文疑点", description="评估标准目录"
    )
    sub = catalog.add_subparsers(title="子命令", dest="catalog_command", metavar="子命令")
    catalog.set_defaults(handler=lambda args: _help(catalog))

    validate = sub.add_parser(
        "validate", help="校验目录并打印汇总表", description="校验评估标准目录并打印汇总表"
    )
    validate.add_argument("--version", default=DEFAULT_VERSION, help=f"标准版本（默认 {DEFAULT_VERSION}）")
    validate.set_defaults(handler=run_validate)

    export = sub.add_parser(
        "export",
        help="导出某一行业的全部评估内容（JSON / YAML / 空白自评估工作簿）",
        description="导出某一行业企业的全部评估内容：基础共性能力子域加该行业的行业特性能力子域。",
    )
    export.add_argument("--sector", required=True, type=sector_arg, help=f"行业：{SECTOR_HELP}")
    export.add_argument("--format", required=True, choices=["json", "yaml", "xlsx"], help="导出格式")
    export.add_argument(
        "-o", "--output", type=Path, help="输出文件（json/yaml 默认输出到屏幕；xlsx 默认按行业命名）"
    )
    export.add_argument("--version", default=DEFAULT_VERSION, help=f"标准版本（默认 {DEFAULT_VERSION}）")
    export.set_defaults(handler=run_export)

    notes = sub.add_parser(
        "notes",
        help="列出原文疑点及处理决定",
        description="列出标准原文中的疑点（错字、编号异常、缺失等）及本目录的处理决定",
    )
    notes.add_argument("--sector", type=sector_arg, help="只列基础共性部分和该行业的疑点")
    notes.add_argument("--version", default=DEFAULT_VERSION, help=f"标准版本（默认 {DEFAULT_VERSION}）")
    notes.set_defaults(handler=run_notes)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _load(version: str) -> Catalog | None:
    try:
        return load_catalog(version)
    except CatalogError as exc:
        print(f"目录校验失败：{exc}", file=sys.stderr)
        if version not in available_versions():
            print(f"可用版本：{'、'.join(available_versions())}", file=sys.stderr)
        return None


def run_validate(args: argparse.Namespace) -> int:
    catalog = _load(args.version)
    if catalog is None:
        return 1
    print(f"{catalog.title}（{catalog.code}-{catalog.version}）")
    print(
        f"能力域 {len(catalog.domains)} 个，表1能力子域 {len(catalog.table1)} 个，权重合计 "
        f"{sum(t.weight for t in catalog.table1)}%（基础共性 "
        f"{sum(t.weight for t in catalog.table1 if t.type.value == '基础共性')}%，行业特性 "
        f"{sum(t.weight for t in catalog.table1 if t.type.value == '行业特性')}%）"
    )
    print()
    header = ["部分", "行数", "覆盖子域", "缺失子域", *[lv.label for lv in Level], "要求合计", "疑点"]
    rows = []
    for section in Section:
        section_rows = catalog.rows_of(section)
        counts = Counter(r.level for row in section_rows for r in row.requirements)
        absent = [a.subdomain for a in catalog.absences if a.section == section]
        rows.append(
            [
                section.label,
                str(len(section_rows)),
                str(sum(len(r.covers) for r in section_rows)),
                "、".join(absent) or "—",
                *[str(counts[lv]) for lv in Level],
                str(sum(counts.values())),
                str(len(catalog.notes_of(section))),
            ]
        )
    print(render(header, rows, right=[False, True, True, False, *[True] * 5, True, True]))
    print()
    sector_rows = []
    for sector in Sector:
        view = catalog.for_sector(sector)
        reqs = list(view.requirements())
        sector_rows.append([f"{sector.label}企业", str(len(view.rows)), str(len(reqs))])
    print(render(["评估对象", "能力子域行数", "要求条数"], sector_rows, right=[False, True, True]))
    print()
    print(f"校验通过：共 {sum(1 for _ in catalog.requirements())} 条要求，编号唯一，权重与覆盖关系正确。")
    return 0


def run_export(args: argparse.Namespace) -> int:
    catalog = _load(args.version)
    if catalog is None:
        return 1
    sector: Sector = args.sector
    if args.format == "xlsx":
        target: Path = args.output or Path(f"自评估-{sector.label}-{catalog.code}-{catalog.version}.xlsx")
        try:
            write_workbook(catalog, sector, target)
        except OSError as exc:
            print(f"无法写入文件 {target}：{exc.strerror}", file=sys.stderr)
            return 2
        print(f"已导出{sector.label}企业空白自评估工作簿：{target}")
        return 0
    document = sector_document(catalog, sector)
    if args.format == "json":
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"无法写入文件 {args.output}：{exc.strerror}", file=sys.stderr)
        return 2
    print(f"已导出{sector.label}企业评估内容（{args.format.upper()}）：{args.output}", file=sys.stderr)
    return 0


def run_notes(args: argparse.Namespace) -> int:
    catalog = _load(args.version)
    if catalog is None:
        return 1
    view = catalog.for_sector(args.sector) if args.sector else catalog
    notes = notes_document(view)
    print(f"原文疑点（{catalog.code}-{catalog.version}）：共 {len(notes)} 条")
    current = None
    for note in notes:
        section = Section(note["section"])
        if section != current:
            current = section
            print(f"\n【{section.label}】")
        where = "、".join(str(n) for n in note["lines"])
        print(f"  {note['id']}［{note['kind_label']}］第{where}行")
        print(f"    {note['text']}")
    return 0
