"""Command line: ``python -m mapapp validate|build-geodata|build-demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mapapp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a results file (CSV or XLSX)")
    validate.add_argument("file", type=Path)
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    build = commands.add_parser("build-geodata", help="build geodata/ from source boundaries")
    build.add_argument("source_dir", type=Path)
    commands.add_parser("build-demo", help="write the seeded demo dataset into geodata/demo")
    args = parser.parse_args(argv)
    return {"validate": _validate, "build-geodata": _build_geodata,
            "build-demo": _build_demo}[args.command](args)


def _validate(args: argparse.Namespace) -> int:
    from mapapp.geo import GeodataError
    from mapapp.reader import UnreadableFileError
    from mapapp.results import read_results

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}", args.json)
    try:
        report = read_results(data, args.file.name)
    except UnreadableFileError as exc:
        return _fail(str(exc), args.json)
    except GeodataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(report.to_json_dict(), ensure_ascii=False))
    else:
        _print_report(report, args.file.name)
    return EXIT_REJECTED if report.rows_rejected else EXIT_OK


def _fail(message: str, as_json: bool) -> int:
    print(f"error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    return EXIT_UNREADABLE


def _print_report(report, filename: str) -> None:
    info = ", ".join(f"{k}: {v}" for k, v in report.info.items())
    print(f"{filename}: {report.rows_total} rows, {report.rows_valid} valid, "
          f"{report.rows_rejected} rejected ({info})")
    for issue in report.errors:
        print(f"  row {issue.row}, {issue.column}: {issue.message}")
    for issue in report.warnings:
        where = f"row {issue.row}, {issue.column}" if issue.row else "file"
        print(f"  warning, {where}: {issue.message}")
    print("totals (input = valid + rejected):")
    for indicator, t in report.totals.items():
        print(f"  {indicator}: {t['input']:,.2f} = {t['valid']:,.2f} + {t['rejected']:,.2f}")


def _build_geodata(args: argparse.Namespace) -> int:
    from mapapp.build_geodata import build_geodata

    try:
        build_geodata(args.source_dir)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _build_demo(args: argparse.Namespace) -> int:
    from mapapp.demo import RESULTS_FILE, build_demo

    results, localities = build_demo()
    print(f"wrote {len(results)} result rows and {len(localities)} localities "
          f"to {RESULTS_FILE.parent}")
    return EXIT_OK
