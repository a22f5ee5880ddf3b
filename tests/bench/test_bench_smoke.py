"""The benchmarks' own helpers: they must read forms as a browser submits them, or every figure is wrong."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _support import percentile, post_forms

PAGE = """
<form method="post" action="/accounts/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="x"></form>
<form hx-post="/assessments/7/rate/" hx-target="#req-3-2" hx-swap="outerHTML">
  <input type="hidden" name="requirement_id" value="nfdt:2024:smelting:a:S3:2">
  <input type="hidden" name="version" value="4">
  <button type="submit" name="value" value="1">全部满足</button>
  <button type="submit" name="value" value="0.8">大部分满足</button>
  <textarea name="note">已有说明</textarea>
</form>
<form method="post" enctype="multipart/form-data">
  <input type="hidden" name="csrfmiddlewaretoken" value="y">
  <input type="file" name="file">
  <input type="radio" name="decision" value="platform" checked><input type="radio" name="decision" value="workbook">
  <input type="checkbox" name="all" value="1">
  <select name="mode"><option value="a">A</option><option value="b">B</option></select>
  <select name="kind"><option value="x">X</option><option value="y" selected>Y</option></select>
</form>
"""


def test_forms_are_read_as_a_browser_submits_them() -> None:
    # The logout form posts elsewhere; a form with no action posts to the page itself, so it is kept.
    rate, upload = post_forms(PAGE, "/assessments/7/rate/")
    assert rate.target == "#req-3-2"
    assert rate.data() == {
        "requirement_id": ["nfdt:2024:smelting:a:S3:2"],
        "version": ["4"],
        "note": ["已有说明"],
        "value": ["1"],  # the first submit button
    }
    assert upload.files == ["file"]
    assert upload.data() == {
        "csrfmiddlewaretoken": ["y"],
        "decision": ["platform"],
        "kind": ["y"],
        "mode": ["a"],
    }


def test_percentile_is_a_measured_value() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 10.0
    assert percentile([5.0], 0.99) == 5.0
