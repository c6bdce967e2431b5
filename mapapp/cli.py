"""Command line: ``python -m mapapp validate|export|build-geodata|build-demo|serve``, and
the dataset store's ``publish|datasets|retire|backup|restore`` (``mapapp.cli_store``).

Exit codes (DESIGN's contract): 0 done; 1 done, but some rows were rejected (validate);
2 not done: an unreadable file or unknown schema, a bad option value, missing or damaged
geodata, an output that cannot be written, or an unexpected error (also, quietly, when the
reader of stdout leaves early, as `| head` does); 130 interrupted (Ctrl-C).
A failure is one "error: ..." line on standard error, never a traceback; --debug (before
or after the command) adds the traceback. --lang es|en (before or after the command; default
from the LANG environment variable: es* is Spanish, anything else English) sets the language
of the messages: the validation report, file errors, --json's messages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from pathlib import Path

from mapapp import cli_store
from mapapp.cli_base import (
    DEBUG_HINT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_UNREADABLE,
    CliError,
    disk_hint,
    message_lang,
    read_file,
)
from mapapp.model.messages import msg


def main(argv: list[str] | None = None) -> int:
    args = argparse.Namespace()
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser = _parser()
        args, unknown = parser.parse_known_args(argv)
        if args.command == "serve":  # what follows is Streamlit's, as `streamlit run` takes it
            args.streamlit_options = argv[argv.index("serve") + 1:]
        elif unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `validate --json FILE | head`: the reader has left, stay quiet
        _silence_stdout()
        return EXIT_UNREADABLE
    except Exception as exc:  # the one place where any failure becomes a message
        return _fail(_message(exc, message_lang(args)), args)


def _parser() -> argparse.ArgumentParser:
    # --debug on both levels; SUPPRESS keeps a subcommand from resetting the global one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on failure, also print the traceback")
    common.add_argument("--lang", choices=["es", "en"], default=argparse.SUPPRESS,
                        help="language of the messages (and of export's map; default: from "
                             "LANG, es* is Spanish, else English; export's map: es)")
    parser = argparse.ArgumentParser(prog="python -m mapapp", description=__doc__,
                                     parents=[common],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", parents=[common],
                                   help="check a results file (CSV or XLSX)")
    validate.add_argument("file", type=Path)
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    build = commands.add_parser("build-geodata", parents=[common],
                                help="build geodata/ from source boundaries")
    build.add_argument("source_dir", type=Path)
    commands.add_parser("build-demo", parents=[common],
                        help="write the seeded demo dataset into geodata/demo")
    _export_parser(commands, common)
    cli_store.add_commands(commands, common)
    commands.add_parser(
        "serve", parents=[common], help="warm the page's caches, then serve the app",
        description="Warm the page's imports and data, then run `streamlit run "
                    "streamlit_app.py OPTIONS` in the same process (make run). OPTIONS are "
                    "Streamlit's own, e.g. --server.port 8501.")
    return parser


def _message(exc: Exception, lang: str = "en") -> str:
    """One line saying what went wrong and, where we know it, how to fix it."""
    from mapapp.boundaries.geodata import GeodataError
    from mapapp.ingest.table import UnreadableFileError

    if isinstance(exc, (CliError, UnreadableFileError)):
        return exc.text(lang)
    if isinstance(exc, GeodataError):
        return f"{exc} (or: make geodata)"
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}{disk_hint(exc)}"
    first_line = next(iter(str(exc).splitlines()), "")[:300]
    return f"{type(exc).__name__}: {first_line}; {DEBUG_HINT}"


def _fail(message: str, args: argparse.Namespace) -> int:
    from mapapp.model.output import strict_json

    if getattr(args, "debug", False):
        traceback.print_exc()
    print(f"error: {message}", file=sys.stderr)
    if getattr(args, "json", False):  # --json promises one object on stdout, even now
        print(strict_json({"error": message}, ensure_ascii=False))
    return EXIT_UNREADABLE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _export_parser(commands, common: argparse.ArgumentParser) -> None:
    from mapapp.boundaries import geodata
    from mapapp.model import catalog
    from mapapp.render.exports import FORMATS

    export = commands.add_parser("export", parents=[common],
                                 help="write a map or table of a view to a file")
    export.add_argument("--data", type=Path, help="results file (default: the demo data)")
    export.add_argument("--dataset", metavar="SLUG[@N]",
                        help="a published dataset: its latest version, or version N "
                             "(a retired one too: the server's shell is trusted)")
    export.add_argument("--localities", type=Path, help="connected localities file")
    export.add_argument("--indicator", required=True, choices=list(catalog.INDICATORS))
    export.add_argument("--value-chain", nargs="*", default=[], dest="value_chains",
                        choices=list(catalog.VALUE_CHAINS))
    export.add_argument("--level", default="department", choices=list(geodata.LEVELS))
    export.add_argument("--years", help="a year or a range, like 2018-2022")
    export.add_argument("--departments", nargs="*", default=[], help="2-digit ubigeo")
    export.add_argument("--measure", default="value", choices=["value", "per_km2", "share"])
    export.add_argument("--format", required=True, choices=list(FORMATS), dest="fmt")
    export.add_argument("--out", required=True, type=Path)


def _validate(args: argparse.Namespace) -> int:
    from mapapp.ingest.results import read_results
    from mapapp.model.output import strict_json

    lang = message_lang(args)
    report = read_results(read_file(args.file), args.file.name)
    if args.json:
        print(strict_json(report.to_json_dict(lang), ensure_ascii=False))
    else:
        _print_report(report, args.file.name, lang)
    return EXIT_REJECTED if report.rows_rejected else EXIT_OK


_WORDED_INFO = ("delimiter", "layout", "decimal")  # their values are words, not the file's


def _print_report(report, filename: str, lang: str = "en") -> None:
    from mapapp.model.formatting import format_number
    from mapapp.model.messages import render

    info = [msg("cli_info_word" if k in _WORDED_INFO else "cli_info", name=k, value=v)
            for k, v in report.info.items()]
    print(render(msg("cli_summary", file=filename, total=report.rows_total,
                     valid=report.rows_valid, rejected=report.rows_rejected, info=info), lang))
    for issue in report.errors:
        print(render(msg("cli_error_line", row=issue.row, column=issue.column,
                         message=issue.text(lang)), lang))
    for issue in report.warnings:
        line = (msg("cli_warning_row", row=issue.row, column=issue.column,
                    message=issue.text(lang)) if issue.row
                else msg("cli_warning_file", message=issue.text(lang)))
        print(render(line, lang))
    print(render(msg("cli_totals"), lang))
    for indicator, t in report.totals.items():
        print(render(msg("cli_total_line", indicator=indicator,
                         **{k: format_number(t[k], lang, decimals=2)
                            for k in ("input", "valid", "rejected")}), lang))


def _export(args: argparse.Namespace) -> int:
    from mapapp.render.exports import export_view

    view = _export_view(args)
    _check_out(args.out, view, args.fmt)  # before any slow work
    dataset = _dataset(args)
    _check_scope(args, view, dataset)
    data = export_view(args.fmt, dataset, view)
    _write(args.out, data)
    demo_label = dataset.shown.credits("en").demo_label
    label = f" ({demo_label.lower()})" if demo_label else ""
    print(f"wrote {args.out}{label}")
    return EXIT_OK


def _export_view(args: argparse.Namespace):
    from mapapp.model.view import View

    lang = getattr(args, "lang", None) or "es"  # the map's language: es unless asked
    query = {"lang": lang, "level": args.level, "indicator": args.indicator,
             "measure": args.measure, "chain": ",".join(args.value_chains),
             "dept": ",".join(args.departments), "basemap": "none", "years": args.years}
    view, notes = View.from_query({k: v for k, v in query.items() if v})
    if notes:
        raise CliError("; ".join(map(_as_option, notes)))
    return view


_OPTION_OF = {"dept": "--departments", "chain": "--value-chain", "years": "--years",
              "level": "--level", "indicator": "--indicator", "measure": "--measure",
              "lang": "--lang"}


def _as_option(note: str) -> str:
    """A link's note (``dept='99': …``) in the command line's words (``--departments …``)."""
    name, equals, rest = note.partition("=")
    return f"{_OPTION_OF[name]} {rest}" if equals and name in _OPTION_OF else note


def _check_out(out: Path, view, fmt: str) -> None:
    """Refuse an --out that cannot be a file; folders are never created behind the user."""
    from mapapp.render.exports import file_name

    if out.is_dir():
        raise CliError(f"--out {out} is a folder; give a file path, like "
                       f"{out / file_name(view, fmt)}")
    if not out.parent.exists():
        raise CliError(f"--out {out}: the folder {out.parent} does not exist; create it "
                       "first or choose another path")
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: {out.parent} is a file, not a folder")


def _write(out: Path, data: bytes) -> None:
    from mapapp.model.output import write_atomic

    try:
        write_atomic(out, data)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}{disk_hint(exc)}") from exc


def _dataset(args: argparse.Namespace):
    """What to export, combined as the app combines uploads (``mapapp.datasets``):
    the demo, or the user's results; then the user's localities, if given, replace the
    demo's (demo results keep the demo label)."""
    import pandas as pd

    from mapapp.ingest import datasets

    if args.dataset is not None:
        if args.data is not None:
            raise CliError("--data and --dataset: give one of them")
        current = _published(args.dataset)
    elif args.data is None:
        current = _demo_dataset()
    else:  # a start with no demo in it, so that no demo part survives the user's results
        nothing = datasets.Dataset("", pd.DataFrame(), None, False, False, "")
        current = _add(datasets.with_results, nothing, args.data,
                       msg("cli_see_validate", path=str(args.data)), message_lang(args))
    if args.localities is not None:
        current = _add(datasets.with_localities, current, args.localities,
                       msg("cli_see_app"), message_lang(args))
    return current


def _published(ref: str):
    """A published version as the data to export (a retired one as well)."""
    from mapapp.published import published_dataset
    from mapapp.store import Retired, StoreError, parse_ref

    slug, version = cli_store.store_call(parse_ref, ref)
    store = cli_store.open_store()
    try:
        info = store.resolve(slug, version)
    except Retired as exc:
        if version is None:
            raise CliError(exc.message) from exc
        info = next(v for v in store.versions(slug) if v.version == version)
    except StoreError as exc:
        raise CliError(exc.message) from exc
    return published_dataset(store, info)


def _demo_dataset():
    from mapapp.ingest.datasets import demo_dataset
    from mapapp.ingest.table import UnreadableFileError

    try:
        return demo_dataset()
    except (OSError, UnreadableFileError) as exc:
        raise CliError(f"the demo data is missing or damaged ({exc}); rebuild it with: "
                       "python -m mapapp build-demo (or: make demo)") from exc


def _add(combine, current, path: Path, see_why: str, lang: str = "en"):
    """``combine`` (``datasets.with_results``/``with_localities``) applied to one file."""
    from mapapp.model.messages import render

    upload = combine(current, read_file(path), path.name)
    if upload.error:
        raise CliError(upload.error)
    report = upload.report
    if upload.dataset is None:
        raise CliError(msg("cli_none_valid", path=str(path), total=report.rows_total,
                           see_why=see_why))
    if report.rows_rejected:
        print(render(msg("cli_some_rejected", rejected=report.rows_rejected,
                         total=report.rows_total, path=str(path), see_why=see_why), lang),
              file=sys.stderr)
    return upload.dataset


def _check_scope(args: argparse.Namespace, view, dataset) -> None:
    """Refuse departments that do not exist and years without data: not an empty map."""
    from mapapp.boundaries import geodata

    places = geodata.places()
    known = set(places.loc[places["level"] == "department", "ubigeo"])
    unknown = [code for code in view.depts if code not in known]
    if unknown:
        raise CliError(f"--departments {' '.join(unknown)}: no such department; use 2-digit "
                       f"ubigeo codes from {min(known)} to {max(known)}, like 22 for San Martín")
    if view.years is None:
        return
    from mapapp.model.view import years_within

    first, last = dataset.years
    within = years_within(view.years, dataset.years)
    if within is None:
        raise CliError(f"--years {args.years}: the data covers {first}-{last}; choose years "
                       "in that range")
    if within != view.years:
        print(f"warning: --years {args.years} reaches beyond the data, which covers "
              f"{first}-{last}", file=sys.stderr)


def _build_geodata(args: argparse.Namespace) -> int:
    from mapapp.builders.boundaries import build_geodata

    try:
        build_geodata(args.source_dir)
    except ValueError as exc:  # a defect of the source, named by the message
        raise CliError(str(exc)) from exc
    return EXIT_OK


def _build_demo(args: argparse.Namespace) -> int:
    from mapapp.builders.demo import RESULTS_FILE, build_demo

    results, localities = build_demo()
    print(f"wrote {len(results)} result rows and {len(localities)} localities "
          f"to {RESULTS_FILE.parent}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from mapapp.server import as_environment, serve

    try:
        as_environment(args.streamlit_options)
    except ValueError as exc:
        raise CliError(f"serve: {exc}") from exc
    return serve(args.streamlit_options)


_COMMANDS = {"validate": _validate, "build-geodata": _build_geodata,
             "build-demo": _build_demo, "export": _export, "serve": _serve,
             **cli_store.COMMANDS}
