"""The platform's single definition of text limits and upload caps.

The web rating form, the workbook reader and the importer all read these, so a note that the form
accepts is never refused on import (or the other way round).
"""

from __future__ import annotations

# A 说明 of a few paragraphs: evidence pointers, who, where. Long enough for real notes, short enough to list.
NOTE_MAX_CHARS = 4000
# A 不适用 reason is a sentence or two; it is printed in every report beside the requirement.
REASON_MAX_CHARS = 2000

# The largest sector workbook (冶炼, 722 requirements) is ~80 KB; filled to the brim with notes and reasons
# it stays under 5 MB once compressed. 10 MB leaves room for Excel's own styles and still refuses junk early.
WORKBOOK_MAX_BYTES = 10 * 1024 * 1024
# Data rows in the 自评估 sheet: the biggest sector has 722 requirements; seven times that is no questionnaire.
WORKBOOK_MAX_ROWS = 5000
# Decompressed size of all members together. 722 rows with every note and reason at its limit is ~13 MB of
# XML (three bytes per CJK character); 50 MB bounds memory and parse time (~1 s) for anything bigger.
WORKBOOK_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# Deflate tops out near 1000:1 on repeated bytes; real sheet XML compresses 5–10:1, and the most
# compressible legitimate sheet measured (the same 4 000-character note pasted into all 722 rows) 63–99:1.
# A big member squeezed harder than this is a decompression bomb.
WORKBOOK_MAX_RATIO = 200
# The ratio check applies to members at least this big: tiny members (a 1 KB blank sheet) can be squeezed hard
# without meaning harm, and the total cap above bounds them anyway.
WORKBOOK_RATIO_MIN_BYTES = 1024 * 1024
# An .xlsx has a dozen members, a few dozen with images or comments; thousands are a way to burn time.
WORKBOOK_MAX_MEMBERS = 1000
# Cells in one sheet: 722 rows × 11 columns is ~8 000; 5 000 rows × 12 columns still fits. Bounds the parse
# time (~0.3 s) of a sheet stuffed with tiny cells, which the byte caps alone do not.
WORKBOOK_MAX_CELLS = 60_000
# One cell's text (Excel's own limit is 32 767 characters): longer text cannot come from Excel.
CELL_MAX_CHARS = 32767
