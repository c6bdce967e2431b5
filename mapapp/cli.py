"""Command line: ``python -m mapapp validate|export|build-geodata|build-demo``."""

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
    _export_parser(commands)
    args = parser.parse_args(argv)
    return {"validate": _validate, "build-geodata": _build_geodata,
            "build-demo": _build_demo, "export": _export}[args.command](args)


def _export_parser(commands) -> None:
    from mapapp import catalog, geo
    from mapapp.export import FORMATS

    export = commands.add_parser("export", help="write a map or table of a view to a file")
    export.add_argument("--data", type=Path, help="results file (default: the demo data)")
    export.add_argument("--localities", type=Path, help="connected localities file")
    export.add_argument("--indicator", required=True, choices=list(catalog.INDICATORS))
    export.add_argument("--value-chain", nargs="*", default=[], dest="value_chains",
                        choices=list(catalog.VALUE_CHAINS))
    export.add_argument("--level", default="department", choices=list(geo.LEVELS))
    export.add_argument("--years", help="a year or a range, like 2018-2022")
    export.add_argument("--departments", nargs="*", default=[], help="2-digit ubigeo")
    export.add_argument("--measure", default="value", choices=["value", "per_km2", "share"])
    export.add_argument("--lang", default="es", choices=list(catalog.LANGS))
    export.add_argument("--format", required=True, choices=list(FORMATS), dest="fmt")
    export.add_argument("--out", required=True, type=Path)


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


def _export(args: argparse.Namespace) -> int:
    from mapapp.export import export_view
    from mapapp.view import View

    query = {"lang": args.lang, "level": args.level, "indicator": args.indicator,
             "measure": args.measure, "chain": ",".join(args.value_chains),
             "dept": ",".join(args.departments), "basemap": "none"}
    if args.years:
        query["years"] = args.years
    view, notes = View.from_query({k: v for k, v in query.items() if v})
    if notes:
        print("error: " + "; ".join(notes), file=sys.stderr)
        return EXIT_UNREADABLE
    loaded = _load_data(args)
    if loaded is None:
        return EXIT_UNREADABLE
    results, localities, demo = loaded
    args.out.write_bytes(export_view(args.fmt, results, view, localities, demo=demo))
    label = " (demo data — illustrative distribution)" if demo else ""
    print(f"wrote {args.out}{label}")
    return EXIT_OK


def _load_data(args: argparse.Namespace):
    """(results, localities, is_demo), or None after printing why not."""
    import pandas as pd

    from mapapp.demo import LOCALITIES_FILE, RESULTS_FILE
    from mapapp.localities import read_localities
    from mapapp.reader import UnreadableFileError
    from mapapp.results import read_results

    if args.data is None:
        results = read_results(RESULTS_FILE.read_bytes(), RESULTS_FILE.name).valid
        return results, pd.read_csv(LOCALITIES_FILE, dtype={"ubigeo": str}), True
    try:
        report = read_results(args.data.read_bytes(), args.data.name)
        localities = None
        if args.localities:
            places = read_localities(args.localities.read_bytes(), args.localities.name)
            localities = places.valid
            if places.rows_rejected:
                print(f"warning: {places.rows_rejected} localities rejected; run the app to "
                      "see why", file=sys.stderr)
    except (OSError, UnreadableFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if report.rows_rejected:
        print(f"warning: {report.rows_rejected} of {report.rows_total} rows rejected and left "
              f"out; see: python -m mapapp validate {args.data}", file=sys.stderr)
    return report.valid, localities, False


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
