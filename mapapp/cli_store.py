"""The command line's dataset store commands: ``publish``, ``datasets``, ``retire``,
``backup``, ``restore`` (on ``MAPAPP_DATABASE_URL``, else the SQLite file of
``mapapp.store.default_url``). Whoever has a shell on the server is trusted: these
commands need no login. Exit codes as ``validate``'s: 0 done; 1 published with
rejected rows (reported); 2 nothing done (unreadable file, no valid row, a store
that cannot be reached or refuses).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from mapapp.cli_base import EXIT_OK, EXIT_REJECTED, CliError, message_lang, read_file
from mapapp.model.messages import msg, render


def add_commands(commands, common: argparse.ArgumentParser) -> None:
    publish = commands.add_parser("publish", parents=[common],
                                  help="publish a results file as a new dataset version")
    publish.add_argument("file", type=Path)
    publish.add_argument("--name", required=True, dest="slug",
                         help="the dataset's name in links: a-z, 0-9, '-'")
    publish.add_argument("--title", required=True)
    publish.add_argument("--localities", type=Path, help="connected localities file")
    publish.add_argument("--note", default="")
    publish.add_argument("--by", default=None, help="who publishes (default: your user name)")
    publish.add_argument("--json", action="store_true", help="print one JSON object")
    listing = commands.add_parser("datasets", parents=[common],
                                  help="list the published datasets")
    listing.add_argument("--json", action="store_true", help="print one JSON array")
    retire = commands.add_parser("retire", parents=[common],
                                 help="hide a dataset (SLUG) or one version (SLUG@N)")
    retire.add_argument("ref", metavar="SLUG[@N]")
    retire.add_argument("--by", required=True)
    backup = commands.add_parser("backup", parents=[common],
                                 help="every dataset, version, report and the audit, in a zip")
    backup.add_argument("out", type=Path)
    restore = commands.add_parser("restore", parents=[common],
                                  help="restore a backup zip into an empty store")
    restore.add_argument("source", type=Path)


def open_store():
    """The store, or CliError with its message (exit 2)."""
    from mapapp.store import Store, StoreError

    try:
        return Store()
    except StoreError as exc:
        raise CliError(exc.message) from exc


def store_call(call, *args, **kwargs):
    """A store method's result; its refusal as a CliError (its message, in --lang)."""
    from mapapp.store import StoreError

    try:
        return call(*args, **kwargs)
    except StoreError as exc:
        raise CliError(exc.message) from exc


def _publish(args: argparse.Namespace) -> int:
    from mapapp.ingest.localities import read_localities
    from mapapp.ingest.results import read_results
    from mapapp.ingest.table import UnreadableFileError
    from mapapp.model.output import strict_json
    from mapapp.store import FileInfo

    lang = message_lang(args)
    data = read_file(args.file)
    file = FileInfo.of(data, args.file.name)
    try:
        results = read_results(data, args.file.name)
        localities = locality_file = None
        if args.localities is not None:
            raw = read_file(args.localities)
            locality_file = FileInfo.of(raw, args.localities.name)
            localities = read_localities(raw, args.localities.name)
    except UnreadableFileError as exc:
        raise CliError(exc.message) from exc
    if not results.rows_valid:
        raise CliError(msg("cli_none_valid", path=str(args.file), total=results.rows_total,
                           see_why=msg("cli_see_validate", path=str(args.file))))
    store = open_store()
    done = store_call(store.publish, args.slug, args.title, results, file,
                      by=args.by or getpass.getuser(), note=args.note,
                      localities=localities, localities_file=locality_file)
    rejected = done.rows_rejected + (localities.rows_rejected if localities else 0)
    if args.json:
        print(strict_json({"slug": done.slug, "version": done.version,
                           "rows_valid": done.rows_valid, "rows_rejected": done.rows_rejected},
                          ensure_ascii=False))
    else:
        print(render(msg("cli_published", ref=f"{done.slug}@{done.version}",
                         valid=done.rows_valid, rejected=done.rows_rejected,
                         database=store.url_for_display), lang))
    if rejected:
        print(render(msg("cli_some_rejected", rejected=rejected,
                         total=results.rows_total + (localities.rows_total if localities else 0),
                         path=str(args.file),
                         see_why=msg("cli_see_validate", path=str(args.file))), lang),
              file=sys.stderr)
    return EXIT_REJECTED if rejected else EXIT_OK


def _datasets(args: argparse.Namespace) -> int:
    from mapapp.model.output import strict_json

    listed = store_call(open_store().datasets, include_retired=True)
    rows = [{"slug": d.slug, "title": d.title, "versions": d.versions, "latest": d.latest,
             "published_by": d.published_by,
             "published_at": d.published_at.isoformat() if d.published_at else None,
             "retired": d.retired_at is not None} for d in listed]
    if args.json:
        print(strict_json(rows, ensure_ascii=False))
        return EXIT_OK
    lang = message_lang(args)
    shown = {d.slug: d.published_at.strftime("%Y-%m-%d %H:%M UTC") for d in listed
             if d.published_at}
    if not rows:
        print(render(msg("cli_no_datasets"), lang))
    for row in rows:
        print(render(msg("cli_dataset_line", slug=row["slug"], title=row["title"],
                         versions=row["versions"], latest=row["latest"] or "-",
                         by=row["published_by"] or "-", at=shown.get(row["slug"], "-"),
                         retired=msg("cli_retired") if row["retired"] else ""), lang))
    return EXIT_OK


def _retire(args: argparse.Namespace) -> int:
    from mapapp.store import parse_ref

    slug, version = store_call(parse_ref, args.ref)
    store_call(open_store().retire, slug, version, by=args.by)
    print(render(msg("cli_retired_done", ref=args.ref, by=args.by), message_lang(args)))
    return EXIT_OK


def _backup(args: argparse.Namespace) -> int:
    summary = store_call(open_store().backup, args.out)
    print(render(msg("cli_backup_done", path=str(args.out), **_counts(summary)),
                 message_lang(args)))
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    summary = store_call(open_store().restore, args.source)
    print(render(msg("cli_restore_done", path=str(args.source), **_counts(summary)),
                 message_lang(args)))
    return EXIT_OK


def _counts(summary: dict) -> dict:
    return {key: int(summary.get(key, 0)) for key in ("datasets", "versions", "audit")}


COMMANDS = {"publish": _publish, "datasets": _datasets, "retire": _retire,
            "backup": _backup, "restore": _restore}
