"""The caps a file is read under, in one place: every reader module reads them here at
run time (``limits.MAX_ROWS``), so a test or a deployment that changes one changes it
for all.

They bound a file by its bytes, never by what it claims: ``MAX_BYTES`` is the
uploader's own limit (the comment below says how it counts a megabyte) and ``MAX_ROWS``
the longest table we mean to read; a cell, a row's columns and a sheet's cells are
capped far above what a results table needs (each comment says by how much), so that
only a damaged or hostile file meets them. A workbook's own caps (what its zip may
inflate to, beyond which it is a zip bomb; how many XML tags a parse may meet, so that
its time is bounded by the bytes, a cell taking 4 to 6 tags; how many distinct texts
and characters its shared strings hold, as much as a CSV at the upload limit; how many
cell styles; how large a part read whole may be) derive from these.
"""

from __future__ import annotations

import os

UPLOAD_MB = int(os.environ.get("MAPAPP_MAX_UPLOAD_MB", "50"))
# Streamlit 1.67's uploader turns server.maxUploadSize into bytes as MB × 1,000,000 in
# the browser (× 1024² only on Windows, and in the server's own later check): 10⁶ is the
# figure users meet, so the reader refuses from the same byte and counts MB the same way.
MAX_BYTES = UPLOAD_MB * 1_000_000
MAX_ROWS = int(os.environ.get("MAPAPP_MAX_ROWS", "1000000"))
MAX_CELL_CHARS = 10_000  # any one cell; a place name or a number needs far less
MAX_COLUMNS = 200  # a results table has under 20 columns
MAX_CELLS = 10_000_000  # cells a sheet may claim or hold: MAX_ROWS rows × 10 columns
# Values (tidy records) one results file may give: the table the map works on, and what it
# costs, stay bounded in a wide layout too (1,000,000 rows × 12 indicators is 12 million).
MAX_VALUES = 2_000_000

# A workbook's.
MAX_UNZIPPED_BYTES = 20 * MAX_BYTES  # a workbook that inflates beyond this is a zip bomb
MAX_XML_TAGS = 6 * MAX_CELLS  # a cell takes 4 to 6: <c><v></v></c>, <c><is><t></t></is></c>
MAX_SHARED_STRINGS = 2 * MAX_ROWS  # distinct texts: at most a name and a note per row
MAX_SHARED_CHARS = MAX_BYTES  # no more text than a CSV at the upload limit holds
MAX_STYLES = 65_536  # Excel allows 64,000 cell formats
MAX_PART_BYTES = 10_000_000  # workbook parts read whole: content types, workbook, links
