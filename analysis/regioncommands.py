"""Commands beyond the source regions: add a region, refresh it from Statistics Norway."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis.cli import UsageError, command


@command("new-region", "add a case region to data/regions.csv with empty data templates (data/templates/<id>/)")
def new_region_command(args: argparse.Namespace) -> int:
    from analysis.newregion import RegistryError, add_region

    try:
        added = add_region(args.region_id, args.name, list(args.municipality or []), data_dir=args.data_dir,
                           kind=args.kind)
    except RegistryError as exc:
        raise UsageError(str(exc)) from None
    print(f"added {added.region_id} ({', '.join(added.numbers)}; municipality numbers of {added.vintage}) "
          f"to {added.registry}")
    print(f"empty data templates and how to fill them: {added.templates}/README.md")
    print(f"next: python -m analysis run --region {added.region_id} && python -m analysis report"
          f"   (register data: python -m analysis fetch-ssb --region {added.region_id})")
    return 0


@new_region_command.arguments
def _new_region_arguments(p: argparse.ArgumentParser) -> None:
    from analysis.config import DATA_DIR

    p.add_argument("region_id", metavar="ID", help="lowercase slug, e.g. horten-today")
    p.add_argument("--name", required=True, help="display name, e.g. 'Horten today'")
    p.add_argument("--municipality", action="extend", nargs="+", metavar="NUMBER",
                   help="four-digit municipality number(s) of one vintage (SSB KLASS 131), e.g. 3901")
    p.add_argument("--kind", choices=["municipality", "town-area", "economic-region", "business-region", "aggregate"],
                   help="what the area is (default: municipality for one number, aggregate for several)")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help=argparse.SUPPRESS)


@command("fetch-ssb", "fetch a region's register employment (SN2007) and population from Statistics Norway "
                      "(PxWebApi v2) into data/external/<region>/")
def fetch_ssb_command(args: argparse.Namespace) -> int:
    from analysis.ssb import SSBError, default_years, fetch_region

    first, last = default_years()
    years = (args.from_year or first, args.to_year or last)
    if years[0] > years[1]:
        raise UsageError(f"--from {years[0]} is after --to {years[1]}")
    start = time.monotonic()
    try:
        written = fetch_region(args.region, years, data_dir=args.data_dir,
                               tables=(args.employment_table, args.population_table))
    except SSBError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    print(f"fetched in {time.monotonic() - start:.1f} s; rerun the production-system chapter: "
          f"python -m analysis run --region {args.region} --notebook production-system --force")
    return 0


@fetch_ssb_command.arguments
def _fetch_ssb_arguments(p: argparse.ArgumentParser) -> None:
    from analysis.config import DATA_DIR
    from analysis.ssb import EMPLOYMENT_TABLE, POPULATION_TABLE

    p.add_argument("--region", required=True, metavar="ID", help="a region of data/regions.csv with municipality numbers")
    p.add_argument("--from", dest="from_year", type=int, metavar="YEAR", help="first year (default: 2008)")
    p.add_argument("--to", dest="to_year", type=int, metavar="YEAR", help="last year (default: this year)")
    p.add_argument("--employment-table", default=EMPLOYMENT_TABLE, metavar="ID",
                   help=f"SSB table of employment by workplace municipality and two-digit SN2007 (default: {EMPLOYMENT_TABLE})")
    p.add_argument("--population-table", default=POPULATION_TABLE, metavar="ID",
                   help=f"SSB table of population by municipality (default: {POPULATION_TABLE})")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help=argparse.SUPPRESS)
