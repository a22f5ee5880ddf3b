"""The core stays pure: no Django anywhere in it, no I/O libraries outside the two file adaptors."""

from __future__ import annotations

import ast
from pathlib import Path

import nfmaturity

PACKAGE = Path(nfmaturity.__file__).parent
FORBIDDEN_EVERYWHERE = {"django", "nfmaturity.web", "requests", "sqlite3", "psycopg"}
IO_LIBRARIES = {"yaml", "openpyxl", "json", "pathlib", "importlib.resources", "os", "io", "zipfile"}
IO_ADAPTORS = {"catalog/loader.py"}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_core_packages_import_no_django_and_no_io() -> None:
    problems = []
    for package in ("catalog", "scoring", "workbook"):
        for path in sorted((PACKAGE / package).rglob("*.py")):
            rel = path.relative_to(PACKAGE).as_posix()
            io_allowed = rel in IO_ADAPTORS or package == "workbook"  # the workbook package is a file adaptor
            for name in imports_of(path):
                top = {name, name.split(".")[0]}
                if top & FORBIDDEN_EVERYWHERE or any(name.startswith(f + ".") for f in FORBIDDEN_EVERYWHERE):
                    problems.append(f"{rel} imports {name}")
                if not io_allowed and (top & IO_LIBRARIES):
                    problems.append(f"{rel} imports I/O library {name}")
    assert not problems, problems
