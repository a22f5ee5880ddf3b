"""QA12-F15: the sub-domain page of 数据 listed 业务数据化 three times and 数据业务化 three times (the rows of the
采选, 冶炼 and 加工 tables share names), with no way to tell which figure was which sector's."""

from __future__ import annotations

from collections import Counter

from nfmaturity.analytics.selectors import subdomain_names


def test_every_sub_domain_of_a_domain_has_its_own_name() -> None:
    names = subdomain_names()
    per_domain = Counter(names.values())
    assert [pair for pair, n in per_domain.items() if n > 1] == []
    data = sorted(name for name, domain in names.values() if domain == "数据")
    assert {"业务数据化（采选）", "业务数据化（冶炼）", "业务数据化（加工）", "数据管理"} <= set(data)
