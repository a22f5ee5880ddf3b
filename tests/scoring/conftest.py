"""Fixtures: small synthetic sector catalogs (see ``factory.py``)."""

from __future__ import annotations

import pytest

from nfmaturity.catalog.model import SectorCatalog

from .factory import build_catalog, table1_spec


@pytest.fixture
def table1_catalog() -> SectorCatalog:
    return build_catalog(table1_spec())


@pytest.fixture
def tiny_catalog() -> SectorCatalog:
    """Two domains, three rows, a merged row and an empty cell: small enough to reason about by hand."""
    return build_catalog(
        {
            "组织": {"rows": {"组织建设": {"weight": 2, "requirements": [2, 1, 1, 1, 1]}}},
            "技术": {
                "weight": 8,
                "rows": {
                    "技术创新（含研发管理）": {
                        "weight": 5,
                        "covers": ["研发管理", "技术创新"],
                        "requirements": [1, 2, 0, 1, 1],
                    },
                    "信息安全": {"weight": 3, "requirements": [1, 1, 2, 1, 1]},
                },
            },
        }
    )
