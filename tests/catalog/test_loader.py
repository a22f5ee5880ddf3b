"""The validator refuses broken catalogs with one typed error naming file, path and problem."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from nfmaturity.catalog.loader import CatalogError, data_dir, load_catalog, load_directory
from nfmaturity.catalog.model import Level, Section, Sector, SubdomainType


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "nfdt-2024"
    shutil.copytree(data_dir(), target)
    return target


def edit(directory: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_shipped_catalog_is_valid() -> None:
    catalog = load_catalog()
    assert len(catalog.domains) == 8
    assert len(catalog.table1) == 38
    assert sum(t.weight for t in catalog.table1) == 100
    assert sum(t.weight for t in catalog.table1 if t.type == SubdomainType.COMMON) == 30
    assert {d.name: d.weight for d in catalog.domains}["数字化生产"] == Decimal(44)


def test_ids_are_unique_and_stable() -> None:
    ids = [r.id for r in load_catalog().requirements()]
    assert len(ids) == len(set(ids))
    assert "nfdt:2024:smelting:生产作业:S3:2" in ids
    assert "nfdt:2024:common:组织建设:S1:1" in ids


def test_every_sector_accounts_for_every_table1_subdomain_once() -> None:
    catalog = load_catalog()
    for sector in Sector:
        view = catalog.for_sector(sector)
        covered = [c for row in view.rows for c in row.covers]
        absent = [a.subdomain for a in view.absences]
        assert sorted(covered + absent) == sorted(t.name for t in catalog.table1), sector
        assert len(covered) == len(set(covered))


def test_merged_rows_carry_the_sum_of_what_they_cover() -> None:
    catalog = load_catalog()
    merged = {r.id: r for r in catalog.rows if len(r.covers) > 1}
    assert set(merged) == {
        "nfdt:2024:mining:技术创新（含研发管理）",
        "nfdt:2024:processing:技术创新（含研发管理）",
    }
    assert all(r.weight == 5 for r in merged.values())
    service = next(r for r in catalog.rows_of(Section.MINING) if r.name == "服务产品、能力、交付及运行")
    assert service.covers == ("服务产品",) and service.weight == 1


def test_requirements_with_a_note_are_marked() -> None:
    catalog = load_catalog()
    req = next(r for r in catalog.requirements() if r.id == "nfdt:2024:smelting:服务交付:S4:2")
    assert req.notes
    assert all(n in {x.id for x in catalog.notes} for r in catalog.requirements() for n in r.notes)


def test_row_at_level_gives_that_cell() -> None:
    row = load_catalog().rows_of(Section.COMMON)[0]
    assert [r.number for r in row.at_level(Level.S3)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("file", "change", "path", "words"),
    [
        (
            "standard.yaml",
            lambda d: d["table1"][0].update(weight="3"),
            "table1",
            "基础共性能力子域权重合计为31%",
        ),
        ("standard.yaml", lambda d: d.update(colour="red"), "colour", "不允许的字段"),
        ("standard.yaml", lambda d: d["grades"][1].update(lower="1.7"), "grades.1", "首尾相接"),
        (
            "common.yaml",
            lambda d: d["rows"][0]["levels"]["S1"][1].update(id="nfdt:2024:common:组织建设:S1:9"),
            "rows.0.levels.S1.1.id",
            "编号应为",
        ),
        (
            "processing.yaml",
            lambda d: d["absent"].pop(0),
            "absent",
            "“中试验证”在加工（附录B）中既没有对应行",
        ),
        ("smelting.yaml", lambda d: d["rows"].pop(0), "notes.5.row", "不存在的行"),
        (
            "mining.yaml",
            lambda d: d["rows"][-4].update(covers=["服务产品", "服务能力"]),
            "rows",
            "被计算了2次",
        ),
        (
            "mining.yaml",
            lambda d: d["rows"][0].update(covers=["研发管理", "信息安全"]),
            "rows.0.covers",
            "基础共性",
        ),
        ("processing.yaml", lambda d: d["rows"][0]["levels"].update(S5=[]), "rows.0.levels.S5", "空单元格"),
        (
            "processing.yaml",
            lambda d: d["absent"].append({"subdomain": "产品设计", "note": "processing-01"}),
            "absent.2",
            "已有对应行",
        ),
        (
            "common.yaml",
            lambda d: d["rows"][0]["levels"]["S2"][0].update(text="  "),
            "rows.0.levels.S2.0.text",
            "为空",
        ),
    ],
)
def test_broken_catalogs_are_refused(copy: Path, file: str, change, path: str, words: str) -> None:  # type: ignore[no-untyped-def]
    edit(copy, file, change)
    with pytest.raises(CatalogError) as caught:
        load_directory(copy)
    assert caught.value.file == file
    assert caught.value.path == path
    assert words in caught.value.message


def test_unreadable_yaml_is_a_catalog_error(copy: Path) -> None:
    (copy / "common.yaml").write_text("rows: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogError, match="YAML 格式错误"):
        load_directory(copy)


def test_unknown_version_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="没有版本"):
        load_catalog("1999")
