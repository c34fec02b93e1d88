"""The register extracts that ``fetch-ssb`` wrote: ``data/external/<region>/<table>.csv`` and its sidecar.

Another vintage than the source data (SN2007, not the 2005 report's SN2002 groups): not
part of the data package and never joined to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis import config


def region_folder(region_id: str) -> Path:
    return config.external_dir() / region_id


def read_extract(folder: Path, table_id: str) -> tuple[pd.DataFrame, dict] | None:
    """The fetched table and its sidecar (table id, query, URL, retrieval time), or None if not fetched."""
    csv_path, meta_path = folder / f"{table_id}.csv", folder / f"{table_id}.json"
    if not (csv_path.exists() and meta_path.exists()):
        return None
    frame = pd.read_csv(csv_path, dtype={"municipality_number": str, "registry_number": str, "nace2": str})
    return frame, json.loads(meta_path.read_text(encoding="utf-8"))


def table_of(folder: Path, dataset: str, default: str) -> str:
    """The table id of the fetched ``dataset`` (employment / population), from the sidecars."""
    for meta_path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            if json.loads(meta_path.read_text(encoding="utf-8")).get("dataset") == dataset:
                return meta_path.stem
        except (OSError, ValueError):
            continue
    return default
