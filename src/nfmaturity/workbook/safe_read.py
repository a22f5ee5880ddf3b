"""Reading cells out of an untrusted .xlsx file with bounded memory and time.

Uploads are hostile until proved otherwise, so this does not hand the file to a general spreadsheet
library. It checks the zip's central directory before decompressing anything (member count, declared
sizes, compression ratio, encryption), then streams only the few members it needs through expat with
every DTD refused (no entity can be declared, so none can expand or reach a file or URL), and keeps only
the cells of the columns asked for. Memory is bounded by the caps in ``limits``, time by the bytes and
elements read. Every failure is one ``PackageError`` with one Chinese sentence.

The first bytes also tell other kinds of file apart (PDF, images, old Excel / WPS, OpenDocument), so
the user learns what they uploaded and how to save it as .xlsx.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from io import BytesIO
from typing import IO
from xml.parsers import expat

from nfmaturity.workbook.limits import (
    CELL_MAX_CHARS,
    WORKBOOK_MAX_BYTES,
    WORKBOOK_MAX_CELLS,
    WORKBOOK_MAX_MEMBERS,
    WORKBOOK_MAX_RATIO,
    WORKBOOK_MAX_UNZIPPED_BYTES,
    WORKBOOK_RATIO_MIN_BYTES,
)

CHUNK = 64 * 1024
# Elements in one XML member: a 722-row sheet has ~25 000, a full 5 000-row one ~150 000; this bounds the
# parse time (~0.5 s) of a member stuffed with tiny empty elements, which no byte cap catches.
MAX_ELEMENTS = 200_000
EXCEL_MAX_ROWS = 1_048_576

SAVE_AS_XLSX = (
    "请用 Excel 或 WPS 表格打开它，选择“文件 → 另存为”，保存类型选“Excel 工作簿（*.xlsx）”；"
    "LibreOffice 中选择“文件 → 另存为”，文件类型选“Excel 2007-365（.xlsx）”，然后上传新保存的 .xlsx 文件"
)


class PackageError(Exception):
    """The file cannot be read as a spreadsheet; the message is one Chinese sentence for the user."""


class CellKind(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    ERROR = "error"  # an Excel error value such as #DIV/0!
    DATE = "date"
    FORMULA = "formula"  # a formula cell with no cached value: nothing to read


@dataclass(frozen=True)
class Cell:
    kind: CellKind
    text: str  # the value as written in the file (a number's literal, an error's code, a formula)


@dataclass
class Sheet:
    """The kept cells of one sheet: row number → column number → cell (both 1-based, as Excel counts)."""

    name: str
    rows: dict[int, dict[int, Cell]] = field(default_factory=dict)


def read_capped(source: IO[bytes]) -> bytes:
    """Read at most the upload cap; a longer file is refused without reading it all."""
    data = source.read(WORKBOOK_MAX_BYTES + 1)
    check_size(len(data))
    return data


def check_size(size: int) -> None:
    if size == 0:
        raise PackageError("文件是空的（0 字节），请选择填好的工作簿重新上传")
    if size > WORKBOOK_MAX_BYTES:
        raise PackageError(
            f"文件超过 {WORKBOOK_MAX_BYTES // (1024 * 1024)} MB 的上限；离线评估表通常不足 1 MB，请确认选择了正确的文件"
        )


def sniff(data: bytes) -> None:
    """Refuse, with what it is and what to do, any file that is not a zip package (an .xlsx is a zip)."""
    if data.startswith(b"PK\x03\x04"):
        return
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # an OLE2 compound file
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise PackageError(
                "工作簿设置了打开密码，平台无法读取；请在 Excel 或 WPS 中取消密码后保存为 .xlsx 再上传"
            )
        raise PackageError(
            f"这是旧版 Excel（.xls）或 WPS 表格（.et）格式的文件，平台只读取 .xlsx：{SAVE_AS_XLSX}"
        )
    if data.startswith(b"%PDF"):
        raise PackageError("这是 PDF 文件，不是 Excel 工作簿；请上传从平台下载并填写的离线评估表（.xlsx）")
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        raise PackageError("这是图片文件，不是 Excel 工作簿；请上传从平台下载并填写的离线评估表（.xlsx）")
    if data.startswith(b"PK"):
        raise PackageError("文件已损坏或不完整（压缩包结构无效），请重新保存或重新下载后再上传")
    raise PackageError("无法读取文件：不是有效的 Excel（.xlsx）工作簿，请上传从平台下载并填写的离线评估表")


class Package:
    """A zip package whose central directory passed the caps; members are read through ``parse``."""

    def __init__(self, data: bytes) -> None:
        sniff(data)
        # zipfile builds an object per member before anyone can count them: 100 000 tiny members fit in the
        # upload cap and would cost ~40 MB. The end-of-directory record says how many there are; check it first.
        declared = _declared_members(data)
        if declared > WORKBOOK_MAX_MEMBERS:
            raise PackageError(_too_many_members(declared))
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise PackageError("文件已损坏或不完整（压缩包结构无效），请重新保存或重新下载后再上传") from exc
        if len(infos) > WORKBOOK_MAX_MEMBERS:
            raise PackageError(_too_many_members(len(infos)))
        total = 0
        for info in infos:
            total += info.file_size
            if info.flag_bits & 0x1:
                raise PackageError(
                    "工作簿设置了打开密码，平台无法读取；请在 Excel 或 WPS 中取消密码后保存为 .xlsx 再上传"
                )
            if info.file_size >= WORKBOOK_RATIO_MIN_BYTES and (
                info.file_size > WORKBOOK_MAX_RATIO * max(1, info.compress_size)
            ):
                raise PackageError(_bomb())
        if total > WORKBOOK_MAX_UNZIPPED_BYTES:
            raise PackageError(_bomb())
        self.members = {info.filename: info for info in infos}
        if self.members.get("mimetype") is not None:
            mimetype = self._small("mimetype")
            if b"opendocument" in mimetype:
                raise PackageError(f"这是 OpenDocument 表格（.ods），平台只读取 .xlsx：{SAVE_AS_XLSX}")

    def _small(self, name: str) -> bytes:
        with self._open(name) as stream:
            return stream.read(256)

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self.zip.open(self.members[name])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError) as exc:
            raise PackageError(_corrupt(name)) from exc

    def has(self, name: str) -> bool:
        return name in self.members

    def parse(self, name: str, reader: _Reader) -> None:
        """Stream member ``name`` through expat into ``reader``, refusing DTDs and entities."""
        if name not in self.members:
            raise PackageError(
                f"文件缺少部件 {name}，不是完整的 Excel 工作簿，请用 Excel 或 WPS 重新保存后上传"
            )
        # No namespace processing: names arrive as written ("c" or "x:c") and the prefix is dropped, which
        # is cheaper per element than expanding every name to its namespace URI.
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.ExternalEntityRefHandler = _refuse_external
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        stream = self._open(name)
        try:
            with stream:
                while chunk := stream.read(CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise PackageError(
                f"文件已损坏：部件 {name} 不是有效的 XML（第 {exc.lineno} 行），请用 Excel 或 WPS 重新保存后上传"
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise PackageError(_corrupt(name)) from exc


def _declared_members(data: bytes) -> int:
    """The member count in the zip's end-of-central-directory record (0 when there is none to read)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return 0
    return int.from_bytes(data[end + 10 : end + 12], "little")


def _too_many_members(count: int) -> str:
    return f"文件内含 {count} 个部件，超过 {WORKBOOK_MAX_MEMBERS} 个的上限，不是离线评估表"


def _bomb() -> str:
    return (
        f"文件解压后超过 {WORKBOOK_MAX_UNZIPPED_BYTES // (1024 * 1024)} MB 或压缩比异常（疑似压缩炸弹），已拒绝读取；"
        "请上传从平台下载并填写的离线评估表"
    )


def _corrupt(name: str) -> str:
    return f"文件已损坏或不完整（部件 {name} 无法解压），请重新保存或重新下载后再上传"


def _refuse_dtd(*_: object) -> None:
    raise PackageError(
        "文件含有 XML 文档类型或实体声明（可被用来耗尽服务器资源或读取服务器上的文件），已拒绝读取；"
        "Excel 或 WPS 保存的工作簿不会含有这些内容"
    )


def _refuse_external(*_: object) -> int:
    _refuse_dtd()
    return 0


def _local(name: str) -> str:
    """``x:c`` → ``c``: some writers prefix every SpreadsheetML element."""
    return name[name.index(":") + 1 :] if ":" in name else name


class _Reader:
    """Expat callbacks that see local element names and count elements against the cap."""

    def __init__(self) -> None:
        self.elements = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise PackageError(f"文件内容过多（一个部件超过 {MAX_ELEMENTS} 个 XML 元素），已停止读取")
        # Attributes keep their prefix ("r:id"); the one reader that needs such an attribute looks it up by suffix.
        self.open(_local(name), attrs)

    def end(self, name: str) -> None:
        self.close(_local(name))

    def open(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def close(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _Relationships(_Reader):
    def __init__(self) -> None:
        super().__init__()
        self.targets: dict[str, tuple[str, str]] = {}  # id → (type suffix, target)

    def open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            kind = attrs.get("Type", "").rpartition("/")[2]
            self.targets[attrs.get("Id", "")] = (kind, attrs.get("Target", ""))


class _WorkbookSheets(_Reader):
    def __init__(self) -> None:
        super().__init__()
        self.sheets: dict[str, str] = {}  # sheet name → relationship id

    def open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "sheet" and "name" in attrs:
            rel = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            self.sheets[attrs["name"]] = rel


class _Text:
    """Text gathered inside one element, capped at Excel's own cell limit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, data: str) -> None:
        self.length += len(data)
        if self.length > CELL_MAX_CHARS:
            raise PackageError(
                f"单元格文字超过 {CELL_MAX_CHARS} 个字符（Excel 的上限），不是 Excel 保存的工作簿"
            )
        self.parts.append(data)

    def value(self) -> str:
        return "".join(self.parts)


class _SheetCells(_Reader):
    """Keeps the cells of columns 1..max_col; shared strings stay as indices until resolved."""

    def __init__(self, sheet: Sheet, max_col: int, max_rows: int) -> None:
        super().__init__()
        self.sheet = sheet
        self.max_col = max_col
        self.max_rows = max_rows
        self.cells = 0
        self.row = 0
        self.col = 0
        self.keep = False
        self.type = ""
        self.value = _Text()
        self.in_value = False
        self.has_value = False
        self.has_formula = False
        self.in_phonetic = False
        self.shared: dict[int, list[tuple[int, int]]] = {}  # string index → cells that show it

    def open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "row":
            self.row = _number(attrs.get("r"), self.row + 1, EXCEL_MAX_ROWS)
            self.col = 0
        elif name == "c":
            self.cells += 1
            if self.cells > WORKBOOK_MAX_CELLS:
                raise PackageError(
                    f"工作表“{self.sheet.name}”超过 {WORKBOOK_MAX_CELLS} 个单元格，不是离线评估表，已停止读取"
                )
            ref = attrs.get("r")
            self.col = _column(ref) if ref else self.col + 1
            self.keep = self.col <= self.max_col
            self.type = attrs.get("t", "n")
            self.value = _Text()
            self.has_value = self.has_formula = False
        elif name == "f":
            self.has_formula = True
        elif name in ("v", "t"):  # <t> only occurs in a cell inside <is> (an inline string)
            self.has_value = self.in_value = True
        elif name == "is":
            self.has_value = True
        elif name == "rPh":  # phonetic guide text is not part of the cell's value
            self.in_phonetic = True

    def text(self, data: str) -> None:
        if self.keep and self.in_value and not self.in_phonetic:
            self.value.add(data)

    def close(self, name: str) -> None:
        if name in ("v", "t"):
            self.in_value = False
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "c" and self.keep:
            self._store(self.value.value())
            self.keep = False

    def _store(self, raw: str) -> None:
        if self.has_formula and not self.has_value:
            cell = Cell(CellKind.FORMULA, "")
        elif not self.has_value or (self.type not in ("str", "inlineStr") and not raw.strip()):
            return  # a styled empty cell
        elif self.type == "s":
            index = _number(raw.strip(), -1, WORKBOOK_MAX_CELLS * 10)
            self.shared.setdefault(index, []).append((self.row, self.col))
            cell = Cell(CellKind.TEXT, "")
        elif self.type in ("str", "inlineStr"):
            if not raw:
                return  # a formula whose cached result is the empty string, or an empty inline string
            cell = Cell(CellKind.TEXT, raw)
        elif self.type == "b":
            cell = Cell(CellKind.BOOL, "TRUE" if raw.strip() in ("1", "true") else "FALSE")
        elif self.type == "e":
            cell = Cell(CellKind.ERROR, raw.strip())
        elif self.type == "d":
            cell = Cell(CellKind.DATE, raw.strip())
        else:
            cell = Cell(CellKind.NUMBER, raw.strip())
        row = self.sheet.rows.get(self.row)
        if row is None:
            if len(self.sheet.rows) >= self.max_rows:
                raise PackageError(
                    f"工作表“{self.sheet.name}”超过 {self.max_rows} 行，不是离线评估表（最多几百条要求），已停止读取"
                )
            row = self.sheet.rows[self.row] = {}
        row[self.col] = cell


class _SharedStrings(_Reader):
    """Keeps only the shared strings some kept cell shows, so memory follows what is read, not the file."""

    def __init__(self, wanted: set[int]) -> None:
        super().__init__()
        self.wanted = wanted
        self.strings: dict[int, str] = {}
        self.index = -1
        self.current: _Text | None = None
        self.in_text = False
        self.in_phonetic = False

    def open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "si":
            self.index += 1
            if self.index > WORKBOOK_MAX_CELLS:
                raise PackageError(
                    f"文件的共享字符串超过 {WORKBOOK_MAX_CELLS} 个，不是离线评估表，已停止读取"
                )
            self.current = _Text() if self.index in self.wanted else None
        elif name == "t":
            self.in_text = True
        elif name == "rPh":
            self.in_phonetic = True

    def text(self, data: str) -> None:
        if self.current is not None and self.in_text and not self.in_phonetic:
            self.current.add(data)

    def close(self, name: str) -> None:
        if name == "t":
            self.in_text = False
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "si" and self.current is not None:
            self.strings[self.index] = self.current.value()
            self.current = None


def _number(text: str | None, default: int, limit: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or len(text) > 9 or int(text) > limit:
        raise PackageError(f"文件已损坏：无效的行号或编号“{text[:20]}”，请用 Excel 或 WPS 重新保存后上传")
    return int(text)


_COLUMNS: dict[str, int] = {}  # "AB" → 28, for the columns met (a sheet uses a few dozen)


def _column(ref: str) -> int:
    """The column number of a cell reference such as ``AB12`` (A = 1)."""
    letters = ref.rstrip("0123456789")
    known = _COLUMNS.get(letters)
    if known is not None:
        return known
    col = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        else:
            break
        if col > 16384:
            break
    if col == 0 or col > 16384:
        raise PackageError(f"文件已损坏：无效的单元格位置“{ref[:20]}”，请用 Excel 或 WPS 重新保存后上传")
    if len(_COLUMNS) < 20000:
        _COLUMNS[letters] = col
    return col


def _part(base: str, target: str) -> str:
    """The zip member a relationship target points at, relative to the part ``base``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def read_sheets(data: bytes, wanted: Mapping[str, tuple[int, int]]) -> dict[str, Sheet]:
    """Read the sheets named in ``wanted`` from an .xlsx file.

    ``wanted`` maps a sheet name to (how many leading columns to keep, how many non-empty rows at most).

    A sheet that is absent is absent from the result; the caller says what that means.
    """
    package = Package(data)
    root = _Relationships()
    package.parse("_rels/.rels", root)
    office = [t for kind, t in root.targets.values() if kind == "officeDocument"]
    if not office:
        raise PackageError("不是 Excel 工作簿（.xlsx）：缺少工作簿部件，请上传从平台下载并填写的离线评估表")
    book_part = _part("", office[0])
    names = _WorkbookSheets()
    package.parse(book_part, names)
    relations = _Relationships()
    if package.has(_rels_of(book_part)):
        package.parse(_rels_of(book_part), relations)

    sheets: dict[str, Sheet] = {}
    shared: dict[int, list[tuple[str, int, int]]] = {}
    for name, (max_col, max_rows) in wanted.items():
        rel = names.sheets.get(name)
        if rel is None:
            continue
        kind, target = relations.targets.get(rel, ("", ""))
        if kind != "worksheet":
            raise PackageError(f"工作表“{name}”不是普通工作表（可能是图表页），请上传从平台下载的离线评估表")
        sheet = Sheet(name)
        cells = _SheetCells(sheet, max_col, max_rows)
        package.parse(_part(book_part, target), cells)
        for index, cell_places in cells.shared.items():
            shared.setdefault(index, []).extend((name, row, col) for row, col in cell_places)
        sheets[name] = sheet
    if shared:
        parts = [_part(book_part, t) for kind, t in relations.targets.values() if kind == "sharedStrings"]
        if not parts:
            raise PackageError("文件已损坏：缺少共享字符串部件，请用 Excel 或 WPS 重新保存后上传")
        strings = _SharedStrings(set(shared))
        package.parse(parts[0], strings)
        for index, places in shared.items():
            if index not in strings.strings:
                raise PackageError(
                    "文件已损坏：单元格引用了不存在的共享字符串，请用 Excel 或 WPS 重新保存后上传"
                )
            for name, row, col in places:
                text = strings.strings[index]
                sheet_rows = sheets[name].rows
                if text:
                    sheet_rows[row][col] = Cell(CellKind.TEXT, text)
                else:  # an empty shared string reads as a blank cell
                    del sheet_rows[row][col]
    return sheets


def iter_rows(sheet: Sheet) -> Iterator[tuple[int, dict[int, Cell]]]:
    """The sheet's non-empty rows in order."""
    for number in sorted(sheet.rows):
        if sheet.rows[number]:
            yield number, sheet.rows[number]
