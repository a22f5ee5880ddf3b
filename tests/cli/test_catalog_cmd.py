"""`nfm catalog …` as a user runs it: exit codes, Chinese output, files read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.cli.main import main
from nfmaturity.workbook.xlsx import WorkbookError, read_workbook


def test_validate_prints_a_chinese_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "validate"]) == 0
    out = capsys.readouterr().out
    assert "校验通过：共 1444 条要求" in out
    assert "冶炼（附录B）" in out and "中试验证、服务运行" in out
    assert "冶炼企业            37       722" in out


def test_export_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "export", "--sector", "smelting", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sector"] == "smelting" and doc["version"] == "2024"
    assert {"name": "组织", "order": 1, "weight": "8"} in doc["domains"]
    assert sum(int(d["weight"]) for d in doc["domains"]) == 100
    production = next(d for d in doc["domains"] if d["name"] == "数字化生产")
    assert production["weight"] == "44"  # includes 产品设计, which smelting lacks
    sub = next(s for s in doc["subdomains"] if s["name"] == "组织建设")
    assert (
        sub["id"] == "nfdt:2024:common:组织建设"
        and sub["type"] == "基础共性"
        and sub["covers"] == ["组织建设"]
    )
    assert len(doc["requirements"]) == 722
    req = doc["requirements"][0]
    assert set(req) >= {"id", "subdomain", "level", "text"} and req["level"] == 1
    assert {r["subdomain"] for r in doc["requirements"]} == {s["id"] for s in doc["subdomains"]}


def test_export_merged_row_weight_is_the_sum(tmp_path: Path) -> None:
    out = tmp_path / "mining.yaml"
    assert main(["catalog", "export", "--sector", "采选", "--format", "yaml", "-o", str(out)]) == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    merged = next(s for s in doc["subdomains"] if s["name"] == "技术创新（含研发管理）")
    assert merged["weight"] == "5" and merged["covers"] == ["研发管理", "技术创新"]
    assert doc["absent"][0]["subdomain"] == "产品设计"


def test_bad_sector_is_a_chinese_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["catalog", "export", "--sector", "copper", "--format", "json"])
    assert caught.value.code == 2
    assert "无效的行业“copper”" in capsys.readouterr().err


def test_notes_lists_every_anomaly_of_a_sector(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "notes", "--sector", "processing"]) == 0
    out = capsys.readouterr().out
    catalog = load_catalog().for_sector(Sector.PROCESSING)
    assert f"共 {len(catalog.notes)} 条" in out
    assert "【加工（附录B）】" in out and "【基础共性（附录A）】" in out and "【采选" not in out
    assert "服务运行在加工评估中不参与计分" in out


def test_xlsx_export_is_a_fillable_protected_workbook(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsx"
    assert main(["catalog", "export", "--sector", "processing", "--format", "xlsx", "-o", str(out)]) == 0
    wb = load_workbook(out)
    ws = wb["自评估"]
    header = [c.value for c in ws[1]]
    assert (
        header[:6] == ["序号", "能力域", "能力子域", "等级", "条目", "要求内容"] and header[-1] == "要求编号"
    )
    assert ws.freeze_panes == "B2"
    assert ws.protection.sheet is True
    rating_col = header.index("评分") + 1
    assert ws.cell(row=2, column=rating_col).protection.locked is False
    assert ws.cell(row=2, column=6).protection.locked is True
    assert ws.cell(row=2, column=6).alignment.wrap_text is True
    (validation,) = ws.data_validations.dataValidation
    assert "全部满足,大部分满足,部分满足,不满足,不适用" in validation.formula1
    assert ws.max_row == 1 + 544
    assert wb["_meta"].sheet_state == "veryHidden"
    filled = read_workbook(out)
    assert filled.sector == Sector.PROCESSING and filled.version == "2024" and len(filled.rows) == 544


def fill(path: Path, values: dict[int, tuple[str | None, str | None]]) -> None:
    wb = load_workbook(path)
    ws = wb["自评估"]
    for row, (rating, reason) in values.items():
        ws.cell(row=row, column=8, value=rating)
        ws.cell(row=row, column=9, value=reason)
    wb.save(path)


def test_filled_workbook_reads_back_ratings(tmp_path: Path) -> None:
    out = tmp_path / "w.xlsx"
    main(["catalog", "export", "--sector", "mining", "--format", "xlsx", "-o", str(out)])
    fill(out, {2: ("全部满足", None), 3: ("0.8", None), 4: ("不适用", "本企业无此业务")})
    rows = read_workbook(out).rows
    assert [r.rating.label if r.rating else None for r in rows[:4]] == [
        "全部满足",
        "大部分满足",
        "不适用",
        None,
    ]
    assert rows[2].na_reason == "本企业无此业务"


def test_bad_rows_are_all_reported(tmp_path: Path) -> None:
    out = tmp_path / "w.xlsx"
    main(["catalog", "export", "--sector", "mining", "--format", "xlsx", "-o", str(out)])
    fill(out, {2: ("很好", None), 5: ("不适用", None)})
    with pytest.raises(WorkbookError) as caught:
        read_workbook(out)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("第2行")
    assert "无法识别的评分“很好”" in caught.value.problems[0]
    assert "第5行" in caught.value.problems[1] and "不适用理由" in caught.value.problems[1]


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(WorkbookError, match="不是有效的 Excel"):
        read_workbook(bad)
