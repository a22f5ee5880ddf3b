"""The CJK fonts of the reports (Debian fonts-noto-cjk), by file path.

WeasyPrint finds them through fontconfig by family name (``PDF_FAMILIES``); matplotlib is given the files
themselves (``register_for_matplotlib``), so the charts never depend on a font cache built before the fonts
were installed. The .ttc files hold several faces; matplotlib's ``addfont`` registers every face, and the
Simplified Chinese one is then chosen by family name.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
SANS_FILES = (NOTO_DIR / "NotoSansCJK-Regular.ttc", NOTO_DIR / "NotoSansCJK-Bold.ttc")
SERIF_FILES = (NOTO_DIR / "NotoSerifCJK-Regular.ttc", NOTO_DIR / "NotoSerifCJK-Bold.ttc")
SANS_FAMILY = "Noto Sans CJK SC"
SERIF_FAMILY = "Noto Serif CJK SC"
# Word writes the family name into the document; the reader's machine substitutes if it lacks the font.
DOCX_BODY_FONT = "Noto Serif CJK SC"
DOCX_HEADING_FONT = "Noto Sans CJK SC"


class FontMissingError(RuntimeError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"缺少报告所需的中文字体文件 {path}（请安装 Debian 软件包 fonts-noto-cjk）")


def check_fonts() -> None:
    for path in (*SANS_FILES, *SERIF_FILES):
        if not path.exists():
            raise FontMissingError(path)


@cache
def register_for_matplotlib() -> str:
    """Register the sans faces with matplotlib by path (once per process); returns the family to use."""
    from matplotlib import font_manager

    for path in SANS_FILES:
        if not path.exists():
            raise FontMissingError(path)
        font_manager.fontManager.addfont(str(path))
    return SANS_FAMILY
