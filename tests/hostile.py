"""Hostile and broken files for every reader of uploaded workbooks (web import, evidence, ``nfm score``).

``hostile_workbooks()`` maps a kind to ``(filename, bytes)``. Each is made in code from the platform's own
blank 冶炼 workbook (a "blank export": no assessment id, no rating versions) by editing the zip's XML,
so the files are small and built in well under a second. Every kind except those in ``WELL_FORMED``
must be refused by ``read_workbook`` with a ``WorkbookError``; the ``WELL_FORMED`` kinds are valid
workbooks that only a particular 冶炼 assessment (or the catalog) refuses.

Import it as ``from tests.hostile import hostile_workbooks``.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from functools import cache
from io import BytesIO

from nfmaturity.catalog.loader import load_catalog
from nfmaturity.catalog.model import Sector
from nfmaturity.workbook.limits import (
    NOTE_MAX_CHARS,
    REASON_MAX_CHARS,
    WORKBOOK_MAX_ROWS,
    WORKBOOK_MAX_UNZIPPED_BYTES,
)
from nfmaturity.workbook.xlsx import workbook_bytes

SHEET_XML = "xl/worksheets/sheet1.xml"
META_XML = "xl/worksheets/sheet3.xml"
# Columns of the 自评估 sheet as written: H 评分, I 不适用理由, J 备注, K 要求编号.
RATING, REASON, NOTE = "H", "I", "J"

# Kinds that are well-formed workbooks: refused only against a 冶炼 assessment (another sector, another
# assessment) or when the catalog they name does not exist (another catalog version).
WELL_FORMED = frozenset({"other_sector", "other_assessment", "other_catalog_version"})

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def hostile_workbooks() -> dict[str, tuple[str, bytes]]:
    """Every hostile kind → (filename, content). A fresh dict each call; the bytes are built once."""
    return dict(_build())


@cache
def _build() -> tuple[tuple[str, tuple[str, bytes]], ...]:
    base = _base()
    kinds: dict[str, tuple[str, bytes]] = {}

    def add(kind: str, data: bytes, name: str = "") -> None:
        kinds[kind] = (name or f"{kind}.xlsx", data)

    # XML entity expansion and external entities: refused at the DOCTYPE, before any entity is declared.
    laughs_cell = f'<c r="{RATING}2" t="inlineStr"><is><t>&lol9;</t></is></c>'
    add(
        "entity_expansion_sheet",
        _edit(base, {SHEET_XML: lambda x: _doctype(_cell(x, f"{RATING}2", laughs_cell))}),
    )
    add("entity_expansion_shared_strings", _with_shared_strings(base, BILLION_LAUGHS + _sst("&lol9;")))
    xxe = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "{}">]>\n'
    xxe_cell = f'<c r="{NOTE}2" t="inlineStr"><is><t>&xxe;</t></is></c>'
    for kind, url in (("xxe_file", "file:///etc/passwd"), ("xxe_http", "http://127.0.0.1:9/secret")):
        add(kind, _edit(base, {SHEET_XML: lambda x, u=url: xxe.format(u) + _cell(x, f"{NOTE}2", xxe_cell)}))
    add(
        "xxe_parameter_entity",
        _edit(
            base,
            {
                SHEET_XML: lambda x: (
                    '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
                    + x
                )
            },
        ),
    )

    # Broken files.
    add(
        "broken_xml", _edit(base, {SHEET_XML: lambda x: x.replace("</sheetData>", "<row><c></sheetData>", 1)})
    )
    add("truncated_zip", base[: len(base) // 2])
    add("broken_zip", b"PK\x03\x04" + bytes(range(256)) * 8)
    add("corrupt_member", _corrupt_member(base))
    add("empty", b"", "empty.xlsx")

    # Decompression bombs and the like.
    add("zip_bomb", _zip_bomb())
    add("zip_bomb_lying_size", _lying_size(base))
    add("zip_many_members", _many_members())
    add("too_many_rows", _edit(base, {SHEET_XML: _extra_rows}))
    add("slow_to_parse", _edit(base, {SHEET_XML: _many_cells}))
    far = '<row r="1048576"><c r="H1048576"><v>1</v></c><c r="XFD1048576"><v>1</v></c></row>'
    add(
        "far_away_cell",
        _edit(base, {SHEET_XML: lambda x: x.replace("</sheetData>", far + "</sheetData>", 1)}),
    )
    add(
        "element_flood",
        _edit(base, {SHEET_XML: lambda x: x.replace("</sheetData>", _empty_rows() + "</sheetData>", 1)}),
    )

    # Values that are not ratings: each is a row error, not a crash.
    add(
        "wrong_types",
        _edit(
            base,
            {
                SHEET_XML: lambda x: _cells(
                    x,
                    {
                        f"{RATING}2": f'<c r="{RATING}2" t="b"><v>1</v></c>',
                        f"{RATING}3": f'<c r="{RATING}3" t="e"><v>#N/A</v></c>',
                        f"{RATING}4": f'<c r="{RATING}4" t="d"><v>2024-01-01T00:00:00</v></c>',
                        f"{RATING}5": f'<c r="{RATING}5"><v>3</v></c>',
                        f"{RATING}6": f'<c r="{RATING}6" t="inlineStr"><is><t>很好</t></is></c>',
                        f"{NOTE}7": f'<c r="{NOTE}7" t="e"><v>#DIV/0!</v></c>',
                    },
                )
            },
        ),
    )
    add(
        "formula_without_value",
        _edit(
            base,
            {
                SHEET_XML: lambda x: _cells(
                    x,
                    {
                        f"{RATING}2": f'<c r="{RATING}2"><f>1/0.8</f></c>',
                        f"{RATING}3": f'<c r="{RATING}3" t="str"><f>IF(1,"全部满足")</f></c>',
                        f"{NOTE}4": f'<c r="{NOTE}4"><f>HYPERLINK("http://127.0.0.1:9/")</f></c>',
                    },
                )
            },
        ),
    )
    add(
        "non_finite_ratings",
        _edit(
            base,
            {
                SHEET_XML: lambda x: _cells(
                    x,
                    {
                        f"{RATING}2": f'<c r="{RATING}2"><v>1e999</v></c>',
                        f"{RATING}3": f'<c r="{RATING}3"><v>inf</v></c>',
                        f"{RATING}4": f'<c r="{RATING}4"><v>nan</v></c>',
                        f"{RATING}5": f'<c r="{RATING}5"><v>-1e999</v></c>',
                        f"{RATING}6": f'<c r="{RATING}6" t="inlineStr"><is><t>inf</t></is></c>',
                    },
                )
            },
        ),
    )
    add(
        "text_too_long",
        _edit(
            base,
            {
                SHEET_XML: lambda x: _cells(
                    x,
                    {
                        f"{NOTE}2": _text_cell(f"{NOTE}2", "说" * (NOTE_MAX_CHARS + 1)),
                        f"{RATING}3": _text_cell(f"{RATING}3", "不适用"),
                        f"{REASON}3": _text_cell(f"{REASON}3", "因" * (REASON_MAX_CHARS + 1)),
                    },
                )
            },
        ),
    )
    add(
        "not_applicable_without_reason",
        _edit(base, {SHEET_XML: lambda x: _cells(x, {f"{RATING}2": _text_cell(f"{RATING}2", "不适用")})}),
    )

    # Other kinds of file under an .xlsx name, and other spreadsheet formats.
    add("png_as_xlsx", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(17), "照片.xlsx")
    add("pdf_as_xlsx", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "报告.xlsx")
    add("text_as_xlsx", "要求编号,评分\nnfdt:2024:common:组织建设:S1:1,1\n".encode(), "评分.xlsx")
    add("xls", _ole2(b"Workbook"), "评估表.xls")
    add("et", _ole2(b"Workbook"), "评估表.et")
    add("encrypted_xlsx", _ole2("EncryptionInfo".encode("utf-16-le")), "加密.xlsx")
    add("ods", _ods(), "评估表.ods")

    # Well-formed workbooks that do not belong to a 冶炼 assessment of this catalog.
    add("other_sector", _fully_rated(Sector.MINING), "采选.xlsx")
    add("other_assessment", workbook_bytes(load_catalog("2024"), Sector.SMELTING, {}, assessment_id=999_999))
    add(
        "other_catalog_version",
        _edit(base, {META_XML: lambda x: x.replace("<t>2024</t>", "<t>2099</t>", 1)}),
    )
    return tuple(kinds.items())


@cache
def _base() -> bytes:
    return workbook_bytes(load_catalog("2024"), Sector.SMELTING)


def _fully_rated(sector: Sector) -> bytes:
    data = workbook_bytes(load_catalog("2024"), sector)
    return _edit(
        data,
        {
            SHEET_XML: lambda x: re.sub(
                # openpyxl writes an empty cell as "<c … />" with the standard library's XML writer and as
                # "<c …></c>" with lxml (installed with python-docx): both are matched.
                rf'<c r="{RATING}(\d+)" s="3" t="n"(?:\s*/>|></c>)',
                lambda m: _text_cell(f"{RATING}{m.group(1)}", "全部满足"),
                x,
            )
        },
    )


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _zip(members: dict[str, bytes], level: int = 6) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def _edit(data: bytes, edits: dict[str, object]) -> bytes:
    members = _members(data)
    for name, change in edits.items():
        assert callable(change)
        members[name] = change(members[name].decode()).encode()
    return _zip(members)


def _cell(xml: str, ref: str, new: str) -> str:
    pattern = rf'<c r="{ref}"(?: [^>]*?)?(?:/>|>.*?</c>)'
    result, count = re.subn(pattern, new.replace("\\", "\\\\"), xml, count=1)
    assert count == 1, ref
    return result


def _cells(xml: str, cells: dict[str, str]) -> str:
    for ref, new in cells.items():
        xml = _cell(xml, ref, new)
    return xml


def _text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _doctype(xml: str) -> str:
    return BILLION_LAUGHS + xml


def _sst(text: str) -> str:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return f'<sst xmlns="{ns}" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'


def _with_shared_strings(data: bytes, sst: str) -> bytes:
    members = _members(data)
    members["xl/sharedStrings.xml"] = sst.encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
        ' Target="sharedStrings.xml" Id="rId99" /></Relationships>',
    ).encode()
    sheet = members[SHEET_XML].decode()
    members[SHEET_XML] = _cell(sheet, f"{RATING}2", f'<c r="{RATING}2" t="s"><v>0</v></c>').encode()
    return _zip(members)


def _corrupt_member(data: bytes) -> bytes:
    """Flip bytes in the middle of the sheet's compressed data: a CRC or inflate error."""
    with zipfile.ZipFile(BytesIO(data)) as zf:
        info = zf.getinfo(SHEET_XML)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    broken = bytearray(data)
    for i in range(middle, middle + 64):
        broken[i] ^= 0x5A
    return bytes(broken)


def _deflated_spaces(size: int, prefix: bytes = b"") -> tuple[bytes, int]:
    """A raw deflate stream of ``prefix`` then ``size`` spaces, and its CRC, in a few milliseconds.

    One 1 MB block is compressed once and its output repeated: after a full flush no back-reference crosses
    the block boundary, so the copies decompress one after the other.
    """
    block = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    one = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = size // len(block)
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    return head + one * count + compressor.flush(), crc


def _zip_bomb() -> bytes:
    """A small zip whose sheet inflates to twice the decompressed cap (~100 KB on disk)."""
    size = 2 * WORKBOOK_MAX_UNZIPPED_BYTES
    body, crc = _deflated_spaces(size)
    rest = {k: v for k, v in _members(_base()).items() if k != SHEET_XML}
    return _append_raw_member(_zip(rest), SHEET_XML, body, size, crc)


def _append_raw_member(
    data: bytes, name: str, body: bytes, size: int, crc: int, declared: int | None = None
) -> bytes:
    """Add a deflated member from raw parts, so its sizes can be whatever the test needs."""
    declared = size if declared is None else declared
    with zipfile.ZipFile(BytesIO(data)) as zf:
        infos = zf.infolist()
        members = [(i, zf.read(i)) for i in infos]
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, content in members:
            zf.writestr(info, content)
    raw = out.getvalue()
    end = raw.rindex(b"PK\x05\x06")
    cd_offset = struct.unpack("<I", raw[end + 16 : end + 20])[0]
    entries, central = raw[:cd_offset], raw[cd_offset:end]
    count = struct.unpack("<H", raw[end + 10 : end + 12])[0]
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), declared, len(encoded), 0)
    central_entry = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(body),
        declared,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        len(entries),
    )
    new_entries = entries + local + encoded + body
    new_central = central + central_entry + encoded
    eocd = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, count + 1, count + 1, len(new_central), len(new_entries), 0
    )
    return new_entries + new_central + eocd


def _lying_size(data: bytes) -> bytes:
    """The sheet inflates to 60 MB but its headers declare 500 KB: the reader must not trust them."""
    members = _members(data)
    size = 60 * 1024 * 1024
    prefix = members[SHEET_XML][:100]
    body, crc = _deflated_spaces(size, prefix)
    rest = {k: v for k, v in members.items() if k != SHEET_XML}
    return _append_raw_member(_zip(rest), SHEET_XML, body, size + len(prefix), crc, declared=500 * 1024)


def _many_members() -> bytes:
    members = _members(_base())
    members.update({f"junk/{i}.xml": b"<a/>" for i in range(3000)})
    return _zip(members, level=1)


def _extra_rows(xml: str) -> str:
    rows = "".join(
        f'<row r="{n}"><c r="K{n}" t="inlineStr"><is><t>nfdt:2024:x:{n}</t></is></c></row>'
        for n in range(724, WORKBOOK_MAX_ROWS + 800)
    )
    return xml.replace("</sheetData>", rows + "</sheetData>", 1)


def _empty_rows() -> str:
    """250 000 empty elements: no cell, no byte cap reached (~500 KB on disk), only elements to wade through."""
    return "".join(f'<x n="{n}"/>' for n in range(250_000))


def _many_cells(xml: str) -> str:
    """~1 MB on disk: 700 rows of 360 numeric cells in columns nobody reads (a DOM reader holds 250 000 cells)."""
    columns = [_letters(c) for c in range(12, 372)]
    rows = []
    for n in range(2, 702):
        rows.append(
            f'<row r="{n}">'
            + "".join(f'<c r="{c}{n}"><v>{n * 7 + i}</v></c>' for i, c in enumerate(columns))
            + "</row>"
        )
    head, _, _ = xml.partition("<sheetData>")
    _, _, tail = xml.partition("</sheetData>")
    return head + "<sheetData>" + "".join(rows) + "</sheetData>" + tail


def _letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _ole2(marker: bytes) -> bytes:
    """The start of an OLE2 compound file (the container of .xls, .et and password-protected .xlsx)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHH", 0x3E, 3, 0xFFFE)
    return header + bytes(512 - len(header)) + marker + bytes(1024)


def _ods() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr(
            "content.xml",
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
    return out.getvalue()
