"""The architecture's own rules, where lint-imports and mypy alone would not catch a slip.

lint-imports (scripts/test.sh) checks the layers; these tests keep its configuration honest: every
package is placed in a layer, the core really loads without Django, and mypy skips no module.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "nfmaturity"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _contract(kind: str) -> dict[str, Any]:
    contracts = [c for c in CONFIG["tool"]["importlinter"]["contracts"] if c["type"] == kind]
    assert len(contracts) == 1, kind
    return contracts[0]


def _layer_members() -> list[str]:
    layers = _contract("layers")["layers"]
    assert isinstance(layers, list)
    names = []
    for layer in layers:
        for member in layer.replace("|", ":").split(":"):
            names.append(member.strip().strip("()"))
    return names


def test_every_package_has_a_layer() -> None:
    """A new package that no layer names would escape the contract: place it in pyproject.toml."""
    packages = {f"nfmaturity.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    members = _layer_members()
    assert len(members) == len(set(members))
    assert packages <= set(members), sorted(packages - set(members))


def test_core_layers_are_bottom_and_django_free() -> None:
    members = _layer_members()
    assert members[-3:] == ["nfmaturity.workbook", "nfmaturity.scoring", "nfmaturity.catalog"]
    forbidden = _contract("forbidden")
    assert set(forbidden["source_modules"]) == set(members[-3:])
    assert "django" in forbidden["forbidden_modules"]


def test_core_imports_without_django_at_run_time() -> None:
    """lint-imports reads import statements; this also catches a plugin or registry loaded by name."""
    code = (
        "import sys\n"
        "import nfmaturity.catalog.loader, nfmaturity.scoring, nfmaturity.workbook.xlsx\n"
        "from nfmaturity.catalog.loader import load_catalog\n"
        "load_catalog()\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_cli_commands_are_loaded_from_the_cli_package() -> None:
    """The CLI imports its command modules by name, which lint-imports cannot see."""
    from nfmaturity.cli.main import COMMAND_MODULES

    assert COMMAND_MODULES
    for name in COMMAND_MODULES:
        assert name.startswith("nfmaturity.cli."), name
        assert (PACKAGE / "cli" / f"{name.rsplit('.', 1)[1]}.py").is_file(), name


def test_registry_templates_do_not_reach_into_assessments() -> None:
    """Templates are imports lint-imports cannot see: a page of a lower app that needs assessment data
    belongs to the web layer (as the registry list and profile do), not to the lower app."""
    libraries = [
        p.stem for p in (PACKAGE / "assessments" / "templatetags").glob("*.py") if p.stem != "__init__"
    ]
    assert libraries
    upward = re.compile(r"""['"]assessments[:/]|\{%\s*load\s[^%]*\b(""" + "|".join(libraries) + r""")\b""")
    for app in ("audit", "accounts", "enterprises"):
        for template in (PACKAGE / app).glob("templates/**/*.html"):
            found = upward.search(template.read_text(encoding="utf-8"))
            assert found is None, (str(template.relative_to(ROOT)), found.group(0))


def test_mypy_has_no_allowlist() -> None:
    """Every module passes --strict; a module that does not is fixed, not skipped."""
    for override in CONFIG["tool"]["mypy"].get("overrides", []):
        assert not override.get("ignore_errors"), override["module"]


def test_mypy_checks_everything_strictly() -> None:
    mypy = CONFIG["tool"]["mypy"]
    assert mypy["strict"] is True
    assert set(mypy["files"]) == {"src", "bench"}
    assert "mypy_django_plugin.main" in mypy["plugins"]
