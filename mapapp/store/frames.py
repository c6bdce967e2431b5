"""A version's tables as Parquet bytes, and its report as a JSON-able summary.

Why Parquet (pyarrow), and never pickle: a version is written once and always read
whole, so a columnar file compressed once (zstd) is small and quick to read back; it
keeps the dtypes (text as text with leading zeros, ints as ints, categoricals) with no
schema of ours to keep in step; and reading it only decodes data. A pickle read from a
database row or a restored zip could run code; Parquet cannot, and ``decode`` refuses
anything but plain columns (no extension or nested types) besides.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mapapp.ingest.localities import COLUMNS as LOCALITY_COLUMNS
from mapapp.ingest.localities import LocalityReport
from mapapp.ingest.results import TIDY_COLUMNS, ValidationReport
from mapapp.ingest.rows import Issues, RowIssue, RowReport
from mapapp.model.output import strict_json

REPORT_ISSUES = 1_000  # errors and warnings each kept in the summary; all in "issues"
ISSUE_COLUMNS = ["severity", "row", "column", "code"]
MAX_TABLE_BYTES = 1 << 30  # one stored table, as read back from a database or a backup


def encode(frame: pd.DataFrame) -> bytes:
    """A frame as Parquet bytes (its index too, when it is not the plain 0..n-1)."""
    sink = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=None)
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _plain(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _plain(kind.value_type) and pa.types.is_integer(kind.index_type)
    return not isinstance(kind, pa.ExtensionType) and (
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        or pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_null(kind))


def decode(data: bytes) -> pd.DataFrame:
    """Parquet bytes back as the frame; ValueError for anything else (damaged bytes,
    more than MAX_TABLE_BYTES, a column that is not plain numbers, text or dates)."""
    if len(data) > MAX_TABLE_BYTES:
        raise ValueError(f"more than {MAX_TABLE_BYTES} bytes")
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"not a Parquet table: {str(exc)[:200]}") from None
    for column in table.schema:
        if not _plain(column.type) or b"ARROW:extension:name" in (column.metadata or {}):
            raise ValueError(f"column {column.name!r} has type {column.type}")
    try:
        return table.to_pandas()
    except (pa.ArrowException, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not a table: {str(exc)[:200]}") from None


def issues_frame(report: RowReport) -> pd.DataFrame:
    """Every error and warning of a report, in their order: severity, row, column, code."""
    parts = [(severity, _triples(issues)) for severity, issues in
             (("error", report.errors), ("warning", report.warnings))]
    rows, columns, codes, severities = [], [], [], []
    for severity, triples in parts:
        for row, column, code in triples:
            rows.append(row)
            columns.append(column)
            codes.append(code)
            severities.append(severity)
    return pd.DataFrame({
        "severity": pd.Series(severities, dtype="str"),
        "row": pd.array(rows, dtype="Int64"),
        "column": pd.Series(columns, dtype="str"),
        "code": pd.Series(codes, dtype="str")}, columns=ISSUE_COLUMNS)


def _triples(issues: Iterable[RowIssue]) -> Iterable[tuple[int | None, str, str]]:
    if isinstance(issues, Issues):
        return issues.triples()
    return ((issue.row, issue.column, issue.code) for issue in issues)


def _head(issues: Iterable[RowIssue], count: int) -> list[dict]:
    out = []
    for row, column, code in _triples(issues):
        if len(out) == count:
            break
        out.append({"row": row, "column": column, "code": str(code)})
    return out


def _counts(report: RowReport) -> dict:
    return {"rows_total": int(report.rows_total), "rows_valid": int(report.rows_valid),
            "rows_rejected": int(report.rows_rejected), "errors_total": len(report.errors),
            "warnings_total": len(report.warnings)}


def summary(results: ValidationReport, localities: LocalityReport | None) -> dict:
    """What a version keeps of its reports besides the tables: counts, totals, the
    reader's info, and the first REPORT_ISSUES errors and warnings."""
    out = _counts(results)
    out["errors"] = _head(results.errors, REPORT_ISSUES)
    out["warnings"] = _head(results.warnings, REPORT_ISSUES)
    out["totals"] = {indicator: {k: float(v) for k, v in values.items()}
                     for indicator, values in results.totals.items()}
    out["info"] = {str(k): str(v) for k, v in results.info.items()}
    out["localities"] = None if localities is None else {
        **_counts(localities), "info": {str(k): str(v) for k, v in localities.info.items()}}
    return out


def strict_summary(results: ValidationReport, localities: LocalityReport | None) -> str:
    """``summary`` as JSON text (no NaN: validated data never holds one)."""
    return strict_json(summary(results, localities), ensure_ascii=False)


def tables(results: ValidationReport, localities: LocalityReport | None) -> dict[str, bytes]:
    """Every table of a version, by kind, as Parquet bytes (made before the write
    transaction: no lock is held while they are encoded)."""
    out = {"results": encode(results.valid), "rejected": encode(results.rejected),
           "issues": encode(issues_frame(results))}
    if localities is not None:
        out |= {"localities": encode(localities.valid),
                "localities_rejected": encode(localities.rejected),
                "localities_issues": encode(issues_frame(localities))}
    return out


def check_columns(kind: str, frame: pd.DataFrame) -> None:
    """ValueError unless a results or localities table has the columns the app reads."""
    wanted = {"results": TIDY_COLUMNS, "localities": LOCALITY_COLUMNS,
              "issues": ISSUE_COLUMNS, "localities_issues": ISSUE_COLUMNS}.get(kind, [])
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        raise ValueError(f"{kind} lacks the columns {', '.join(missing)}")


KINDS = ("results", "rejected", "issues", "localities", "localities_rejected",
         "localities_issues")
