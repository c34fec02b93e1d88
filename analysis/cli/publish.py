"""Commands that publish and check what a run made: report, book, verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.registry import command
from analysis.cli.run import add_timeout_argument
from analysis.errors import QuartoMissing


@command("report", "write the standalone HTML reports (outputs/html/) from the executed notebooks")
def report_command(args: argparse.Namespace) -> int:
    from analysis.report import build_reports

    entries = build_reports(progress=True)  # on stderr: a bar on a terminal, a line per report otherwise
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
    except QuartoMissing as exc:
        if not args.if_available:
            raise
        print(f"book: {exc}", file=sys.stderr)  # the main job goes on without the book
        return 0


@book_command.arguments
def _book_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", choices=["html", "pdf", "all"], help="output format (default: html, plus pdf with TeX)")
    p.add_argument("--write-config", action="store_true", help="regenerate _quarto.yml from data/regions.csv")
    p.add_argument("--prepare", action="store_true", help="only copy and label the chapters (no Quarto needed)")
    p.add_argument("--if-available", action="store_true",
                   help="exit 0 with a one-line note when Quarto is missing (used by the main job)")


@command("verify", "rerun everything fresh and compare with the recorded findings and the published numbers")
def verify_command(args: argparse.Namespace) -> int:
    from analysis.verify import verify

    return verify(regions=args.region, update=args.update, jobs=args.jobs, timeout=args.timeout,
                  report_dir=Path(args.report_dir) if args.report_dir else None)


@verify_command.arguments
def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", metavar="R", help="a case region (repeatable; default: all)")
    p.add_argument("--update", action="store_true", help="rewrite the recorded reference findings from this run")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebook runs (default: one per core)")
    p.add_argument("--report-dir", help="where verification.json/.md go (default: outputs/verification)")
    add_timeout_argument(p)
