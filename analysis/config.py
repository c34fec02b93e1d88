"""Project paths: one constant per folder, every step defaults to these."""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("ANALYSIS_DATA", PROJ_ROOT / "data"))
DATAPACKAGE = DATA_DIR / "datapackage.json"
EXTERNAL_DATA_DIR = DATA_DIR / "external"
NOTEBOOKS_DIR = Path(os.environ.get("ANALYSIS_NOTEBOOKS", PROJ_ROOT / "notebooks"))
OUTPUTS_DIR = Path(os.environ.get("ANALYSIS_OUTPUTS", PROJ_ROOT / "outputs"))
BOOK_DIR = PROJ_ROOT / "book"

# The source documents live outside the repository (../shared/seeds); CI has them beside the clone.
SEEDS_DIR = Path(os.environ.get("ANALYSIS_SEEDS", PROJ_ROOT.parent / "shared" / "seeds"))

DOCUMENTS: dict[str, str] = {
    "nibr-2005-11": "001_449c11867c928ba7.txt",
    "tf-2012-sandefjord": "000_3eac1dcd89cb5c16.txt",
    "of-2013-nedre-glomma": "003_2ffb95d89d074af7.txt",
    "sarpsborg-2023": "004_3f84f744fdb36599.txt",
    "distriktssenteret-2018": "002_047406fd7a2b6035.txt",
}

KERNEL_NAME = "tech-towns"
