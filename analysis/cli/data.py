"""Commands on the data: where a number comes from, check the data, add a region, fetch register data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from analysis.cli.registry import command
from analysis.errors import InputError


@command("where", "where does this number come from? print a row's citation and its source lines")
def where_command(args: argparse.Namespace) -> int:
    from analysis.data.provenance import where

    print(where(args.dataset, args.key, context=args.context))
    return 0


@where_command.arguments
def _where_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", help="dataset name, e.g. employment")
    p.add_argument("key", nargs="*", help="leading key values, e.g. horten g3 2005")
    p.add_argument("--context", type=int, default=0, help="lines of context around the cited lines")


@command("check-data", "validate data/ and check every cited value on its source lines")
def check_data_command(args: argparse.Namespace) -> int:
    from analysis.data import validate_package
    from analysis.datacheck import data_report, summary_markdown, write_readme_summary
    from analysis.progress import Progress

    why = _documents_missing()
    if why and args.write_readme:
        raise InputError(f"--write-readme needs the line check, and {why}; README.md is left as it is")
    # a few seconds, more when the schema validation is not cached: each step on stderr as it ends
    with Progress(4, mode=True) as progress:
        progress.started("validating data/ against data/datapackage.json")
        errors = validate_package()
        progress.finished("schema validation of data/", f"{len(errors)} errors" if errors else "passed")
        if errors:
            progress.close()
            for e in errors[:50]:
                print(e, file=sys.stderr)
            return 1
        rep = data_report(progress=progress)
    print(summary_markdown(rep))
    for f in rep["failures"]:
        print("FAIL", f)
    if args.json:
        print(json.dumps({k: v for k, v in rep.items() if k != "failures"}, indent=2))
    if args.write_readme:
        write_readme_summary(rep)
    if why:
        print(f"the line check was not run: {why}", file=sys.stderr)
        return 1
    return 1 if rep["failures"] or rep["reproduction"].get("mismatch") else 0


def _documents_missing() -> str:
    """Why the source-line check cannot run ('' when every source document is there)."""
    from analysis.config import seeds_dir
    from analysis.data.documents import DOCUMENTS, missing

    absent = missing(seeds_dir())
    if not absent:
        return ""
    return (f"{len(absent)} of the {len(DOCUMENTS)} source documents are not in {seeds_dir()} "
            f"({', '.join(d.file for d in absent)}); README.md, Sources, says where they come from "
            "(ANALYSIS_SEEDS names another folder)")


@check_data_command.arguments
def _check_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write-readme", action="store_true", help="write the summary into README.md")
    p.add_argument("--json", action="store_true", help="also print the counts as JSON")


@command("new-region", "add a case region to data/regions.csv with empty data templates (data/templates/<id>/)")
def new_region_command(args: argparse.Namespace) -> int:
    from analysis.data.newregion import add_region

    added = add_region(args.region_id, args.name, list(args.municipality or []), data_dir=args.data_dir,
                       kind=args.kind)
    print(f"added {added.region_id} ({', '.join(added.numbers)}; municipality numbers of {added.vintage}) "
          f"to {added.registry}")
    if args.data_dir is None:  # the registry the book and the README's data summary follow
        from analysis import book
        from analysis.datacheck import data_report, write_readme_summary

        print(f"added its chapters to the book: {book.write_config()}")
        why = _documents_missing()
        if why:
            print(f"README.md's data summary is not updated: {why}; then run python -m analysis check-data "
                  "--write-readme")
        else:
            write_readme_summary(data_report())
            print("updated the data summary in README.md")
    print(f"empty data templates and how to fill them: {added.templates}/README.md")
    print(f"next: python -m analysis run --region {added.region_id} && python -m analysis report"
          f"   (register data: python -m analysis fetch-ssb --region {added.region_id})")
    return 0


@new_region_command.arguments
def _new_region_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("region_id", metavar="ID", help="lowercase slug, e.g. horten-today")
    p.add_argument("--name", required=True, help="display name, e.g. 'Horten today'")
    p.add_argument("--municipality", action="extend", nargs="+", metavar="NUMBER",
                   help="four-digit municipality number(s) of one vintage (SSB KLASS 131), e.g. 3901")
    p.add_argument("--kind", choices=["municipality", "town-area", "economic-region", "business-region", "aggregate"],
                   help="what the area is (default: municipality for one number, aggregate for several)")
    p.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)


@command("fetch-ssb", "fetch a region's register employment (SN2007) and population from Statistics Norway "
                      "(PxWebApi v2) into data/external/<region>/")
def fetch_ssb_command(args: argparse.Namespace) -> int:
    from analysis.data.ssb import default_years, fetch_region

    first, last = default_years()
    years = (args.from_year or first, args.to_year or last)
    if years[0] > years[1]:
        raise InputError(f"--from {years[0]} is after --to {years[1]}")
    start = time.monotonic()
    written = fetch_region(args.region, years, data_dir=args.data_dir,
                           tables=(args.employment_table, args.population_table))
    for path in written:
        print(f"wrote {path}")
    print(f"fetched in {time.monotonic() - start:.1f} s; rerun the production-system chapter: "
          f"python -m analysis run --region {args.region} --notebook production-system --force")
    return 0


@fetch_ssb_command.arguments
def _fetch_ssb_arguments(p: argparse.ArgumentParser) -> None:
    from analysis.data.ssb import EMPLOYMENT_TABLE, POPULATION_TABLE

    p.add_argument("--region", required=True, metavar="ID", help="a region of data/regions.csv with municipality numbers")
    p.add_argument("--from", dest="from_year", type=int, metavar="YEAR", help="first year (default: 2008)")
    p.add_argument("--to", dest="to_year", type=int, metavar="YEAR", help="last year (default: this year)")
    p.add_argument("--employment-table", default=EMPLOYMENT_TABLE, metavar="ID",
                   help=f"SSB table of employment by workplace municipality and two-digit SN2007 (default: {EMPLOYMENT_TABLE})")
    p.add_argument("--population-table", default=POPULATION_TABLE, metavar="ID",
                   help=f"SSB table of population by municipality (default: {POPULATION_TABLE})")
    p.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
