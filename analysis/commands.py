"""Commands beyond running the notebooks: reports, book, provenance, data checks, verification."""

from __future__ import annotations

import argparse
import json
import sys

from analysis.cli import UsageError, command


@command("report", "write the standalone HTML reports (outputs/html/) from the executed notebooks")
def report_command(args: argparse.Namespace) -> int:
    from analysis.report import build_reports

    try:
        entries = build_reports()
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    bad = [e["file"] for e in entries if e["has_error"]]
    print(f"wrote {len(entries)} reports and outputs/html/index.html" + (f"; with errors: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


@command("book", "render the Quarto book (needs Quarto >= 1.5 on PATH)")
def book_command(args: argparse.Namespace) -> int:
    from analysis import book

    if args.write_config:
        print(f"wrote {book.write_config()}")
        return 0
    if args.prepare:
        labels = book.prepare()
        print(f"prepared {len(book.chapter_files())} chapters ({len(labels)} labelled figures and tables) in book/")
        return 0
    try:
        return book.render(args.to)
    except book.QuartoMissing as exc:
        print(f"book: {exc}", file=sys.stderr)
        return 0 if args.if_available else 3


@book_command.arguments
def _book_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", choices=["html", "pdf", "all"], help="output format (default: html, plus pdf with TeX)")
    p.add_argument("--write-config", action="store_true", help="regenerate _quarto.yml from data/regions.csv")
    p.add_argument("--prepare", action="store_true", help="only copy and label the chapters (no Quarto needed)")
    p.add_argument("--if-available", action="store_true",
                   help="exit 0 with a one-line note when Quarto is missing (used by the main job)")


@command("where", "where does this number come from? print a row's citation and its source lines")
def where_command(args: argparse.Namespace) -> int:
    from analysis.data import DataError
    from analysis.provenance import where

    try:
        print(where(args.dataset, args.key, context=args.context))
    except (KeyError, DataError) as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    return 0


@where_command.arguments
def _where_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", help="dataset name, e.g. employment")
    p.add_argument("key", nargs="*", help="leading key values, e.g. horten g3 2005")
    p.add_argument("--context", type=int, default=0, help="lines of context around the cited lines")


@command("check-data", "validate data/ and check every cited value on its source lines")
def check_data_command(args: argparse.Namespace) -> int:
    from analysis.data import DataError, validate_package
    from analysis.provenance import data_report, summary_markdown, write_readme_summary

    errors = validate_package()
    if errors:
        for e in errors[:50]:
            print(e, file=sys.stderr)
        return 1
    try:
        rep = data_report()
    except DataError as exc:
        raise UsageError(str(exc)) from None
    print(summary_markdown(rep))
    for f in rep["failures"]:
        print("FAIL", f)
    if args.json:
        print(json.dumps({k: v for k, v in rep.items() if k != "failures"}, indent=2))
    if args.write_readme:
        write_readme_summary(rep)
    return 1 if rep["failures"] or rep["reproduction"].get("mismatch") else 0


@check_data_command.arguments
def _check_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write-readme", action="store_true", help="write the summary into README.md")
    p.add_argument("--json", action="store_true", help="also print the counts as JSON")


@command("verify", "rerun everything fresh and compare with the recorded findings and the published numbers")
def verify_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analysis.pipeline import InputError
    from analysis.verify import verify

    try:
        return verify(regions=args.region, update=args.update, jobs=args.jobs,
                      **({"report_dir": Path(args.report_dir)} if args.report_dir else {}))
    except InputError as exc:
        raise UsageError(str(exc)) from None


@verify_command.arguments
def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", metavar="R", help="a case region (repeatable; default: all)")
    p.add_argument("--update", action="store_true", help="rewrite the recorded reference findings from this run")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebook runs (default: one per core)")
    p.add_argument("--report-dir", help="where verification.json/.md go (default: outputs/verification)")
