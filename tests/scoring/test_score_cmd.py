"""`nfm score` as a user runs it: JSON and workbook files, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.cli.main import main
from nfmaturity.scoring.ratings import parse_rating
from nfmaturity.workbook.limits import WORKBOOK_MAX_BYTES
from nfmaturity.workbook.xlsx import Prefill, write_workbook
from tests.hostile import META_XML, _edit, hostile_workbooks

Capture = pytest.CaptureFixture[str]
SMELTING = load_catalog().for_sector(Sector.SMELTING)
WORKED = {1: "1", 2: "0.8", 3: "0.5", 4: "0", 5: "0"}  # standard-notes §3, first check


def worked_ratings(levels: dict[int, str] = WORKED) -> dict[str, str]:
    return {r.id: levels[r.level] for r in SMELTING.requirements()}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(tmp_path / "good.json", {"sector": "smelting", "ratings": worked_ratings()})


def test_text_report(good: Path, capsys: Capture) -> None:
    assert main(["score", str(good)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert f"文件：{good}" in out and "行业：冶炼" in out
    assert "总分 S：2.50" in out and "成熟度等级：二级 场景级" in out and "连续满足的最高等级：S2" in out
    assert "S2    0.80  满足" in out and "S3    0.50  未满足        0.50" in out
    assert "数字化生产  1.00  0.80  0.50  0.00  0.00    2.50" in out
    assert "警告" not in out


def test_json_lines_one_per_file(good: Path, tmp_path: Path, capsys: Capture) -> None:
    levels = {1: "部分满足", 2: "大部分满足", 3: "部分满足", 4: "不满足", 5: "不满足"}
    jump = write(
        tmp_path / "jump.json", {"sector": "冶炼", "version": "2024", "ratings": worked_ratings(levels)}
    )
    assert main(["score", str(good), str(jump), "--format", "json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["file"] == str(good)
    assert (
        first["level_scores"]
        == ["1.000000000000", "0.800000000000", "0.500000000000"] + ["0.000000000000"] * 2
    )
    assert first["level_met"] == [True, True, False, False, False]
    assert (first["total"], first["grade"], first["grade_name"]) == ("2.500000000000", 2, "场景级")
    assert (first["consecutive_level"], first["warning"]) == (2, None)
    assert first["sector"] == "smelting" and first["catalog_version"] == "2024"
    production = next(d for d in first["domains"] if d["name"] == "数字化生产")
    assert production["maturity"] == "2.500000000000"
    assert len(first["subdomains"]) == len(SMELTING.rows) and "explain" not in first and "plan" not in first
    assert (second["total"], second["grade"], second["consecutive_level"]) == ("2.000000000000", 2, 0)
    assert second["warning"].startswith("等级跳跃")


def test_warning_in_text(tmp_path: Path, capsys: Capture) -> None:
    levels = {1: "0.5", 2: "0.8", 3: "0.5", 4: "0", 5: "0"}
    path = write(tmp_path / "j.json", {"sector": "smelting", "ratings": worked_ratings(levels)})
    assert main(["score", str(path)]) == 0
    assert "警告：等级跳跃" in capsys.readouterr().out


def test_not_applicable_with_reasons_is_listed(tmp_path: Path, capsys: Capture) -> None:
    ratings = worked_ratings()
    first = next(iter(ratings))
    ratings[first] = "不适用"
    path = write(
        tmp_path / "na.json", {"sector": "smelting", "ratings": ratings, "na_reasons": {first: "无此业务"}}
    )
    assert main(["score", str(path)]) == 0
    assert f"不适用的要求（1 项）：\n  {first}：无此业务" in capsys.readouterr().out


def test_explain(good: Path, capsys: Capture) -> None:
    assert main(["score", str(good), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "计分说明：" in out and "S1 各要求贡献合计 1.0000" in out
    assert main(["score", str(good), "--explain", "--format", "json"]) == 0
    trace = json.loads(capsys.readouterr().out)["explain"]
    assert len(trace) == len(SMELTING.requirement_map())
    entry = trace[0]
    assert set(entry) == {"id", "level", "subdomain", "rating", "share", "weight", "contribution"}
    assert entry["level"] == "S1" and entry["rating"] == "1" and entry["share"].startswith("1/")


def test_explain_json_for_a_row_taking_no_part(tmp_path: Path, capsys: Capture) -> None:
    ratings = worked_ratings()
    row = SMELTING.rows[0]
    cell = [r.id for r in row.requirements if r.level == 1]
    ratings.update(dict.fromkeys(cell, "na"))
    path = write(
        tmp_path / "na.json",
        {"sector": "smelting", "ratings": ratings, "na_reasons": dict.fromkeys(cell, "无")},
    )
    assert main(["score", str(path), "--explain", "--format", "json"]) == 0
    trace = {t["id"]: t for t in json.loads(capsys.readouterr().out)["explain"]}
    assert trace[cell[0]]["share"] is None and trace[cell[0]]["weight"] is None
    assert trace[cell[0]]["contribution"] == "0.000000000000"


def test_plan(good: Path, capsys: Capture) -> None:
    assert main(["score", str(good), "--plan"]) == 0
    out = capsys.readouterr().out
    assert "提升计划：目标 三级 领域级（总分 ≥ 2.80），最少工作量" in out
    assert "完成后：总分 2.8" in out and "等级 三级 领域级" in out
    assert "单项提升性价比排行（前 10 项" in out
    assert main(["score", str(good), "--target", "5", "--format", "json"]) == 0
    planned = json.loads(capsys.readouterr().out)["plan"]
    assert (
        planned["target"] == 5 and planned["grade_after"] == 5 and planned["total_after"] == "5.000000000000"
    )
    assert planned["effort"] == sum(a["effort"] for a in planned["actions"]) > 0
    assert set(planned["actions"][0]) == {"id", "level", "subdomain", "from", "to", "effort", "level_gain"}


def test_plan_when_nothing_is_left_to_do(good: Path, tmp_path: Path, capsys: Capture) -> None:
    assert main(["score", str(good), "--target", "1"]) == 0
    assert "提升计划：已达到目标等级 一级 规范级，无需提升。" in capsys.readouterr().out
    top = write(
        tmp_path / "top.json",
        {"sector": "smelting", "ratings": worked_ratings(dict.fromkeys(range(1, 6), "1"))},
    )
    assert main(["score", str(top), "--plan"]) == 0
    assert "提升计划：已是最高等级（五级 生态级），无需提升。" in capsys.readouterr().out
    assert main(["score", str(top), "--plan", "--format", "json"]) == 0
    planned = json.loads(capsys.readouterr().out)["plan"]
    assert (planned["target"], planned["target_name"], planned["actions"]) == (None, None, [])


def assert_refused(capsys: Capture, *expected: str) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    for text in expected:
        assert text in err, (text, err)
    return err


def test_a_bad_file_prints_nothing_to_stdout_and_lists_every_problem(
    good: Path, tmp_path: Path, capsys: Capture
) -> None:
    ratings = worked_ratings()
    ids = list(ratings)
    del ratings[ids[3]], ratings[ids[7]]
    ratings[ids[0]] = "na"
    ratings["nfdt:2024:mining:采矿作业:S1:1"] = "1"
    ratings["nfdt:2023:common:组织建设:S1:1"] = "1"
    ratings[ids[1]] = "很好"
    bad = write(tmp_path / "bad.json", {"sector": "smelting", "ratings": ratings})
    assert main(["score", str(good), str(bad)]) == 2
    err = assert_refused(
        capsys,
        f"{bad}：要求 {ids[1]}：无法识别的评分“很好”",
        f"{bad}：目录中没有这些要求编号（共 2 项）：nfdt:2024:mining:采矿作业:S1:1、nfdt:2023:common:组织建设:S1:1",
        "部分编号属于采选行业，而文件的行业是冶炼",
        "部分编号属于标准版本 2023，而文件使用版本 2024",
        f"{bad}：以下要求尚未评分（共 2 项）：{ids[3]}、{ids[7]}",
        f"{bad}：以下要求评为“不适用”但未填写理由（共 1 项）：{ids[0]}",
        "共 1 个文件有误，未输出任何结果。",
    )
    assert str(good) not in err


def test_an_unreadable_rating_is_not_also_reported_as_unrated(tmp_path: Path, capsys: Capture) -> None:
    ratings = worked_ratings()
    first = next(iter(ratings))
    ratings[first] = "2"
    path = write(tmp_path / "one.json", {"sector": "smelting", "ratings": ratings})
    assert main(["score", str(path)]) == 2
    err = assert_refused(capsys, f"要求 {first}：无法识别的评分“2”")
    assert "尚未评分" not in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "不是有效的 JSON（第 1 行第 2 列）"),
        ("[1, 2]", "JSON 顶层应为对象"),
        ('{"ratings": {}}', "缺少字段“sector”"),
        ('{"sector": "copper", "ratings": {}}', "字段“sector”：无效的行业“copper”"),
        ('{"sector": "smelting", "ratings": [], "extra": 1}', "未知字段“extra”"),
        ('{"sector": "smelting"}', "缺少字段“ratings”，或它不是对象"),
        ('{"sector": "smelting", "ratings": {}, "na_reasons": {"a": 1}}', "字段“na_reasons”应为对象"),
        ('{"sector": "smelting", "ratings": {}, "version": 2024}', "字段“version”应为字符串"),
        ('{"sector": "smelting", "ratings": {}, "version": "1999"}', "评估标准版本“1999”无法使用"),
    ],
)
def test_malformed_json(tmp_path: Path, capsys: Capture, content: str, expected: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert main(["score", str(path)]) == 2
    assert_refused(capsys, f"{path}：", expected)


def test_unreadable_files(tmp_path: Path, capsys: Capture) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"sector": "\xff"}')
    folder = tmp_path / "folder.json"
    folder.mkdir()
    missing = tmp_path / "missing.json"
    other = tmp_path / "ratings.csv"
    other.write_text("a,b", encoding="utf-8")
    bare = tmp_path / "ratings"
    assert main(["score", str(latin), str(folder), str(missing), str(other), str(bare)]) == 2
    assert_refused(
        capsys,
        f"{latin}：无法读取文件：不是 UTF-8 编码的文本",
        f"{folder}：无法读取文件：Is a directory",
        f"{missing}：无法读取文件：文件不存在",
        f"{other}：不支持的文件类型“.csv”",
        f"{bare}：不支持的文件类型“（无扩展名）”",
        "共 5 个文件有误",
    )


def test_a_level_with_nothing_to_score(tmp_path: Path, capsys: Capture) -> None:
    ratings = worked_ratings()
    reasons = {}
    for r in SMELTING.requirements():
        if r.level == 4:
            ratings[r.id], reasons[r.id] = "na", "无"
    path = write(tmp_path / "s4.json", {"sector": "smelting", "ratings": ratings, "na_reasons": reasons})
    assert main(["score", str(path)]) == 2
    assert_refused(capsys, "S4 级没有可计分的要求")


def test_target_must_be_a_grade(good: Path, capsys: Capture) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["score", str(good), "--target", "6"])
    assert caught.value.code == 2
    assert "无效的选项" in capsys.readouterr().err


# ── the offline workbook ─────────────────────────────────────────────────────


def filled_workbook(path: Path, levels: dict[int, str] = WORKED, skip: int = 0) -> Path:
    """A workbook filled as a user would: every row rated by its level, the first ``skip`` rows left blank."""
    ratings = {r.id: Prefill(parse_rating(levels[r.level])) for r in list(SMELTING.requirements())[skip:]}
    write_workbook(load_catalog(), Sector.SMELTING, path, ratings)
    return path


def test_a_filled_workbook_is_scored(tmp_path: Path, capsys: Capture) -> None:
    path = filled_workbook(
        tmp_path / "自评估.xlsx", {1: "全部满足", 2: "大部分满足", 3: "部分满足", 4: "不满足", 5: "不满足"}
    )
    assert main(["score", str(path), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["total"], result["grade"]) == ("2.500000000000", 2)


def test_workbook_problems_point_at_rows(tmp_path: Path, capsys: Capture) -> None:
    path = filled_workbook(tmp_path / "partial.xlsx", skip=2)
    assert main(["score", str(path)]) == 2
    assert_refused(
        capsys, "以下要求尚未评分（共 2 项）：第2行（组织建设 S1 第1条）、第3行（组织建设 S1 第2条）"
    )


def test_workbook_errors(tmp_path: Path, capsys: Capture) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a zip")
    missing = tmp_path / "missing.xlsx"
    foreign = tmp_path / "foreign.xlsx"
    foreign.write_bytes(
        _edit(
            filled_workbook(tmp_path / "x.xlsx").read_bytes(),
            {META_XML: lambda x: x.replace("<t>nfdt</t>", "<t>other</t>")},
        )
    )
    assert main(["score", str(garbage), str(missing), str(foreign)]) == 2
    assert_refused(
        capsys,
        f"{garbage}：无法读取文件：不是有效的 Excel（.xlsx）工作簿",
        f"{missing}：无法读取文件：文件不存在",
        f"{foreign}：工作簿属于评估标准“other”，不是本平台的“nfdt”",
    )


def test_unknown_ids_without_a_sector_or_version_hint(tmp_path: Path, capsys: Capture) -> None:
    ratings = worked_ratings() | {"bogus": "1", "nfdt:2024:smelting:不存在:S1:1": "1"}
    path = write(tmp_path / "typo.json", {"sector": "smelting", "ratings": ratings})
    assert main(["score", str(path)]) == 2
    err = assert_refused(capsys, "目录中没有这些要求编号（共 2 项）：bogus、nfdt:2024:smelting:不存在:S1:1\n")
    assert "部分编号属于" not in err


# ── hostile files ────────────────────────────────────────────────────────────

HOSTILE = hostile_workbooks()


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_hostile_workbook_is_refused_with_exit_code_2(
    kind: str, tmp_path: Path, capsys: Capture
) -> None:
    name, data = HOSTILE[kind]
    path = tmp_path / name
    path.write_bytes(data)
    code = main(["score", str(path)])
    out, err = capsys.readouterr()
    if kind == "other_sector":  # a fully rated 采选 workbook is simply scored as one
        assert code == 0 and "行业：采选" in out
        return
    assert code == 2 and out == ""
    assert err.startswith(f"{path}：") and "共 1 个文件有误" in err
    assert "Traceback" not in err and "Error" not in err
    # Every message is Chinese: each line has CJK text beyond the file's own name.
    assert all(re.search(r"[\u4e00-\u9fff]", line.replace(str(path), "")) for line in err.splitlines())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"sector": "smelting", "ratings": {"a": Infinity}}', "不允许 Infinity"),
        ('{"sector": "smelting", "ratings": {"a": NaN}}', "不允许 NaN"),
        ('{"sector": "smelting", "ratings": {"a": 1e999}}', "要求 a：评分不是有效的数值"),
        ("[" * 100_000 + "]" * 100_000, "嵌套层数过多"),
    ],
)
def test_json_values_that_are_no_numbers(
    tmp_path: Path, capsys: Capture, content: str, expected: str
) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert main(["score", str(path)]) == 2
    assert_refused(capsys, f"{path}：", expected)


def test_an_oversized_json_file_is_refused_unread(tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as out:
        out.truncate(WORKBOOK_MAX_BYTES + 10)
    assert main(["score", str(path)]) == 2
    assert_refused(capsys, "文件超过 10 MB 的上限")
