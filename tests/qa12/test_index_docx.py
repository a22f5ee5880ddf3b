"""QA12-F11: the Word index report's tables by city, sector, metal and size had only 企业数, 平均总分 and the share
at ≥ 二级, where the PDF's have every grade's count too; and its movers table wrapped each company name over
three or four lines (17 pages against the PDF's 11 on the scale demo)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.shared import Mm

from nfmaturity.reports.index_report import build_docx, build_index_report
from tests.analytics.test_rules_dataset import make_enterprise, make_result

from .test_index_years import _regulator

pytestmark = pytest.mark.django_db


def test_the_word_tables_have_the_grade_columns_and_room_for_names() -> None:
    regulator = _regulator()
    when = datetime(2025, 6, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    for i, (total, grade) in enumerate([("1.20", 1), ("2.40", 2), ("2.60", 2)]):
        enterprise = make_enterprise(f"（QA）一家名字相当长的有色金属冶炼有限责任公司{i}", region="451221")
        make_result(enterprise, total="0.80", grade=0, when=when.replace(year=2024))
        make_result(enterprise, total=total, grade=grade, when=when)
    report = build_index_report(regulator, 2025)
    document = Document(io.BytesIO(build_docx(report)))
    heads = ["分组", "企业数", *report.grade_short, "平均总分", "二级及以上占比"]
    group_tables = [t for t in document.tables if [c.text for c in t.rows[0].cells] == heads]
    assert len(group_tables) == 4  # by city, sector, metal, size
    by_city = group_tables[0]
    assert [c.text for c in by_city.rows[1].cells] == [
        "河池市",
        "3",
        "0",
        "1",
        "2",
        "0",
        "0",
        "0",
        "2.06",
        "66.6%",
    ]
    movers = next(t for t in document.tables if t.rows[0].cells[0].text == "企业")
    assert len(movers.rows) == 4
    assert abs(movers.rows[1].cells[0].width - Mm(62)) < Mm(0.1)  # the name's column is the widest
