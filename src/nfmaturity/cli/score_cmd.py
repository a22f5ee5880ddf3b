"""``nfm score``: score filled self-assessment files (JSON or the offline .xlsx workbook) exactly.

Every file is read, checked and scored before anything is printed: one bad file prints its problems to
stderr, nothing to stdout, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nfmaturity.catalog.loader import DEFAULT_VERSION, CatalogError, available_versions, load_catalog
from nfmaturity.catalog.model import LEVELS, Sector, SectorCatalog
from nfmaturity.cli.catalog_cmd import sector_arg
from nfmaturity.cli.text_table import render
from nfmaturity.scoring.aggregate import check_ratings, score
from nfmaturity.scoring.display import format_decimal12, format_truncated
from nfmaturity.scoring.errors import (
    RequirementsError,
    ScoringError,
    UnknownRequirementError,
    UnratedRequirementError,
)
from nfmaturity.scoring.explain import explain, render_explanation
from nfmaturity.scoring.grading import THRESHOLD_READING
from nfmaturity.scoring.model import ScoreResult
from nfmaturity.scoring.planner import Plan, plan
from nfmaturity.scoring.ratings import Rating, UnknownRatingError, parse_rating
from nfmaturity.workbook.limits import WORKBOOK_MAX_BYTES
from nfmaturity.workbook.xlsx import WorkbookError, read_workbook

JSON_KEYS = ("sector", "ratings", "na_reasons", "version")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
RANKING_SHOWN = 10
SECTOR_VALUES = frozenset(s.value for s in Sector)


class InputError(Exception):
    """A file that cannot be scored; ``problems`` lists everything wrong with it, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Submission:
    """One file's ratings, ready for the engine."""

    file: str
    catalog: SectorCatalog
    ratings: dict[str, Rating]
    na_reasons: dict[str, str]
    # How to point the user at a requirement: "第12行（<id>）" in a workbook, the id itself in JSON.
    where: dict[str, str] = field(default_factory=dict)
    # Ratings that could not be read (id → problem); reported with the rest, not also as "unrated".
    invalid: dict[str, str] = field(default_factory=dict)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "score",
        help="对填好的自评估文件（JSON 或 .xlsx 工作簿）计分",
        description=(
            "按标准公式（1）–（3）精确计算各等级得分、总分和成熟度等级。"
            '文件可为 JSON（{"sector": "smelting", "ratings": {要求编号: 评分}, "na_reasons": {要求编号: 理由}}，'
            '可选 "version"）或 nfm catalog export --format xlsx 导出并填好的工作簿。'
            "评分可写 1 / 0.8 / 0.5 / 0 / na，或 全部满足 / 大部分满足 / 部分满足 / 不满足 / 不适用。"
            f"{THRESHOLD_READING}。"
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="文件", help="一个或多个 .json / .xlsx 文件")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="输出格式：text 为中文报告（数值截断保留两位小数），json 为每个文件一行（12 位小数）",
    )
    parser.add_argument("--explain", action="store_true", help="列出每条要求对各等级得分的贡献")
    parser.add_argument("--plan", action="store_true", help="给出达到目标等级所需工作量最少的提升计划")
    parser.add_argument(
        "--target",
        type=int,
        choices=range(1, 6),
        metavar="N",
        help="提升计划的目标等级 1–5（默认：下一等级；指定即生成提升计划）",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    catalogs: dict[tuple[str, Sector], SectorCatalog] = {}
    problems: list[str] = []
    scored: list[tuple[Submission, ScoreResult]] = []
    for path in args.files:
        try:
            submission = read_submission(path, lambda version, sector: _catalog(catalogs, version, sector))
            scored.append((submission, _score(submission)))
        except InputError as exc:
            problems += [f"{path}：{p}" for p in exc.problems]
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        bad = len({p.split("：", 1)[0] for p in problems})
        print(f"共 {bad} 个文件有误，未输出任何结果。", file=sys.stderr)
        return 2
    wanted = args.plan or args.target is not None
    outputs = []
    for submission, result in scored:
        improvement = plan(result, args.target) if wanted else None
        if args.format == "json":
            outputs.append(
                json.dumps(json_document(submission, result, args.explain, improvement), ensure_ascii=False)
            )
        else:
            outputs.append(text_report(submission, result, args.explain, improvement))
    sys.stdout.write(("\n" if args.format == "json" else "\n\n").join(outputs) + "\n")
    return 0


def _catalog(cache: dict[tuple[str, Sector], SectorCatalog], version: str, sector: Sector) -> SectorCatalog:
    if (version, sector) not in cache:
        try:
            catalog = load_catalog(version)
        except CatalogError as exc:
            known = "、".join(available_versions())
            raise InputError(
                [f"评估标准版本“{version}”无法使用（{exc.message}）；可用版本：{known}"]
            ) from None
        cache[version, sector] = catalog.for_sector(sector)
    return cache[version, sector]


def read_submission(path: Path, catalog_for: Callable[[str, Sector], SectorCatalog]) -> Submission:
    """Read one file. Raises ``InputError`` listing every problem found in it."""
    suffix = path.suffix.lower()
    if (
        suffix in SPREADSHEET_SUFFIXES
    ):  # the reader tells .xls / .et / .ods apart and says how to save as .xlsx
        return _read_workbook(path, catalog_for)
    if suffix == ".json":
        return _read_json(path, catalog_for)
    raise InputError([f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：应为 .json 或 .xlsx"])


def _read_workbook(path: Path, catalog_for: Callable[[str, Sector], SectorCatalog]) -> Submission:
    try:
        filled = read_workbook(path)
    except WorkbookError as exc:
        raise InputError(exc.problems) from None
    catalog = catalog_for(filled.version, filled.sector)
    if filled.code != catalog.code:
        raise InputError([f"工作簿属于评估标准“{filled.code}”，不是本平台的“{catalog.code}”"])
    where = {row.requirement_id: row.place for row in filled.rows}
    return Submission(
        file=str(path),
        catalog=catalog,
        ratings={row.requirement_id: row.rating for row in filled.rows if row.rating is not None},
        na_reasons={row.requirement_id: row.na_reason for row in filled.rows if row.na_reason},
        where=where,
    )


def _read_json(path: Path, catalog_for: Callable[[str, Sector], SectorCatalog]) -> Submission:
    try:
        with path.open("rb") as stream:
            raw = stream.read(WORKBOOK_MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(["无法读取文件：文件不存在"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            [f"无法读取文件：{getattr(exc, 'strerror', None) or '不是 UTF-8 编码的文本'}"]
        ) from None
    if len(raw) > WORKBOOK_MAX_BYTES:
        raise InputError([f"文件超过 {WORKBOOK_MAX_BYTES // (1024 * 1024)} MB 的上限，不是自评估文件"])
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError([f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）"]) from None
    except RecursionError:
        raise InputError(["不是有效的自评估 JSON：嵌套层数过多"]) from None
    except ValueError as exc:  # NaN / Infinity, which JSON itself does not allow
        raise InputError([str(exc)]) from None
    if not isinstance(document, dict):
        raise InputError(['JSON 顶层应为对象：{"sector": …, "ratings": {…}}'])
    problems = [
        f"未知字段“{key}”（可用字段：{'、'.join(JSON_KEYS)}）" for key in document if key not in JSON_KEYS
    ]
    sector = None
    if "sector" not in document:
        problems.append("缺少字段“sector”（行业：mining/采选、smelting/冶炼、processing/加工）")
    else:
        try:
            sector = sector_arg(str(document["sector"]))
        except argparse.ArgumentTypeError as exc:
            problems.append(f"字段“sector”：{exc}")
    version = document.get("version", DEFAULT_VERSION)
    if not isinstance(version, str):
        problems.append('字段“version”应为字符串，如 "2024"')
    raw_ratings = document.get("ratings")
    ratings: dict[str, Rating] = {}
    invalid: dict[str, str] = {}
    if not isinstance(raw_ratings, dict):
        problems.append("缺少字段“ratings”，或它不是对象（要求编号 → 评分）")
    else:
        for requirement_id, raw in raw_ratings.items():
            if isinstance(raw, float) and not math.isfinite(raw):  # 1e999 reads as infinity
                invalid[requirement_id] = f"要求 {requirement_id}：评分不是有效的数值"
                continue
            try:
                ratings[requirement_id] = parse_rating(raw)
            except UnknownRatingError as exc:
                invalid[requirement_id] = f"要求 {requirement_id}：{exc}"
    raw_reasons = document.get("na_reasons", {})
    reasons: dict[str, str] = {}
    if not isinstance(raw_reasons, dict) or not all(isinstance(v, str) for v in raw_reasons.values()):
        problems.append("字段“na_reasons”应为对象（要求编号 → 不适用理由文字）")
    else:
        reasons = raw_reasons
    if problems or sector is None or not isinstance(version, str):
        raise InputError(problems)
    return Submission(str(path), catalog_for(version, sector), ratings, reasons, invalid=invalid)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"不是有效的 JSON：不允许 {name}（评分应为 1 / 0.8 / 0.5 / 0 / na）")


def _score(submission: Submission) -> ScoreResult:
    problems = list(submission.invalid.values())
    for problem in check_ratings(submission.catalog, submission.ratings, submission.na_reasons):
        if isinstance(problem, UnratedRequirementError):  # an unreadable rating is reported once, above
            ids = [i for i in problem.ids if i not in submission.invalid]
            if not ids:
                continue
            problem = UnratedRequirementError(ids)
        problems.append(_describe(submission, problem))
    if not problems:
        try:
            return score(submission.catalog, submission.ratings, na_reasons=submission.na_reasons)
        except ScoringError as exc:  # e.g. a level where everything is 不适用
            problems.append(str(exc))
    raise InputError(problems)


def _describe(submission: Submission, problem: RequirementsError) -> str:
    places = "、".join(submission.where.get(i, i) for i in problem.ids)
    text = f"{problem.summary}（共 {len(problem.ids)} 项）：{places}"
    if isinstance(problem, UnknownRequirementError):
        text += _mismatch_hint(submission.catalog, problem.ids)
    return text


def _mismatch_hint(catalog: SectorCatalog, ids: tuple[str, ...]) -> str:
    """Ids look like ``nfdt:2024:smelting:…``: say when they belong to another sector or version."""
    sections = {"common", catalog.sector.value}
    other_sectors, other_versions = set(), set()
    for parts in (i.split(":") for i in ids):
        if len(parts) > 3 and parts[0] == catalog.code:
            if parts[1] != catalog.version:
                other_versions.add(parts[1])
            elif parts[2] not in sections and parts[2] in SECTOR_VALUES:
                other_sectors.add(Sector(parts[2]).label)
    hints = []
    if other_sectors:
        hints.append(
            f"部分编号属于{'、'.join(sorted(other_sectors))}行业，而文件的行业是{catalog.sector.label}"
        )
    if other_versions:
        hints.append(
            f"部分编号属于标准版本 {'、'.join(sorted(other_versions))}，而文件使用版本 {catalog.version}"
        )
    return f"（{'；'.join(hints)}）" if hints else ""


def _dec(value: Any) -> str | None:
    return None if value is None else format_decimal12(value)


def json_document(
    submission: Submission, result: ScoreResult, with_trace: bool, improvement: Plan | None
) -> dict[str, Any]:
    catalog = result.catalog
    document: dict[str, Any] = {
        "file": submission.file,
        "sector": catalog.sector.value,
        "catalog_version": catalog.version,
        "level_scores": [format_decimal12(s) for s in result.level_scores],
        "level_met": list(result.level_met),
        "total": format_decimal12(result.total),
        "grade": result.grade.level,
        "grade_name": result.grade.name,
        "consecutive_level": result.consecutive_level,
        "warning": result.warning,
        "domains": [
            {
                "name": d.domain.name,
                "level_scores": [_dec(s) for s in d.level_scores],
                "maturity": _dec(d.maturity),
            }
            for d in result.domains
        ],
        "subdomains": [
            {
                "id": r.row.id,
                "name": r.row.name,
                "domain": r.row.domain,
                "level_scores": [_dec(s) for s in r.level_scores],
                "maturity": _dec(r.maturity),
            }
            for r in result.rows
        ],
        "not_applicable": dict(result.na_reasons),
    }
    if with_trace:
        document["explain"] = [
            {
                "id": t.requirement.id,
                "level": level.level.label,
                "subdomain": row.row.name,
                "rating": t.rating.value,
                "share": None if t.share is None else str(t.share),
                "weight": None if row.weight is None else format_decimal12(row.weight),
                "contribution": format_decimal12(t.contribution),
            }
            for level, row, t in explain(result).requirements()
        ]
    if improvement is not None:
        document["plan"] = _plan_document(improvement)
    return document


def _plan_document(improvement: Plan) -> dict[str, Any]:
    target = improvement.target
    return {
        "target": None if target is None else target.level,
        "target_name": None if target is None else target.name,
        "effort": improvement.effort,
        "total_after": format_decimal12(improvement.after.total),
        "grade_after": improvement.after.grade.level,
        "actions": [
            {
                "id": a.requirement.id,
                "level": a.level.label,
                "subdomain": a.row.name,
                "from": a.current.value,
                "to": a.target.value,
                "effort": a.effort,
                "level_gain": format_decimal12(a.level_gain),
            }
            for a in improvement.actions
        ],
    }


def text_report(
    submission: Submission, result: ScoreResult, with_trace: bool, improvement: Plan | None
) -> str:
    catalog = result.catalog
    t2 = format_truncated
    lines = [
        f"文件：{submission.file}",
        f"评估标准：{catalog.code}-{catalog.version}　行业：{catalog.sector.label}",
        "",
        render(
            ["等级", "得分", "是否满足", "计入总分"],
            [
                [level.label, t2(s), "满足" if met else "未满足", "1.00" if met else t2(s)]
                for level, s, met in zip(LEVELS, result.level_scores, result.level_met, strict=True)
            ],
            right=[False, True, False, True],
        ),
        "",
        f"总分 S：{t2(result.total)}",
        f"成熟度等级：{result.grade.label}",
        f"连续满足的最高等级：{LEVELS[result.consecutive_level - 1].label if result.consecutive_level else '无'}",
    ]
    if result.warning:
        lines.append(f"警告：{result.warning}")
    lines += [
        "",
        "能力域得分：",
        render(
            ["能力域", *(level.label for level in LEVELS), "成熟度"],
            [
                [d.domain.name, *("—" if s is None else t2(s) for s in d.level_scores), _t2(d.maturity)]
                for d in result.domains
            ],
            right=[False, *[True] * 6],
        ),
    ]
    if result.na_reasons:
        lines += ["", f"不适用的要求（{len(result.na_reasons)} 项）："]
        lines += [f"  {i}：{reason}" for i, reason in result.na_reasons.items()]
    lines.append("")
    lines.append(f"说明：数值截断保留两位小数（不四舍五入），等级按精确值判定；{THRESHOLD_READING}。")
    if with_trace:
        lines += ["", render_explanation(explain(result)).rstrip("\n")]
    if improvement is not None:
        lines += ["", *_plan_lines(improvement)]
    return "\n".join(lines)


def _t2(value: Any) -> str:
    return "—" if value is None else format_truncated(value)


def _plan_lines(improvement: Plan) -> list[str]:
    target = improvement.target
    if target is None:
        return ["提升计划：已是最高等级（五级 生态级），无需提升。"]
    if not improvement.actions:
        return [f"提升计划：已达到目标等级 {target.label}，无需提升。"]
    after = improvement.after
    lines = [
        f"提升计划：目标 {target.label}（总分 ≥ {format_truncated(target.lower)}），"
        f"最少工作量 {improvement.effort}（每提升一档计 1），共 {len(improvement.actions)} 项：",
        render(
            ["要求编号", "能力子域", "等级", "当前评分", "提升到", "工作量", "该级得分增加"],
            [
                [
                    a.requirement.id,
                    a.row.name,
                    a.level.label,
                    a.current.label,
                    a.target.label,
                    str(a.effort),
                    format_truncated(a.level_gain, 4),
                ]
                for a in improvement.actions
            ],
            right=[False, False, False, False, False, True, True],
        ),
        f"完成后：总分 {format_truncated(after.total)}，等级 {after.grade.label}。",
        "",
        f"单项提升性价比排行（前 {RANKING_SHOWN} 项，按每单位工作量带来的总分增加）：",
        render(
            ["要求编号", "等级", "当前评分", "提升到", "总分增加"],
            [
                [
                    s.requirement.id,
                    s.level.label,
                    s.current.label,
                    s.target.label,
                    format_truncated(s.gain, 4),
                ]
                for s in improvement.ranking[:RANKING_SHOWN]
            ],
            right=[False, False, False, False, True],
        ),
    ]
    return lines
