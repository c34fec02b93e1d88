"""Run the parameterized notebooks for every region: papermill runs, cache, parallel execution.

One *pair* is a notebook and the region it runs for; a cross-region notebook is one
pair with the pseudo-region ``cross-region``; one that reads the region findings runs after
the region pairs, one that reads only data (``reads_region_findings: false`` in its metadata)
beside them, first.
:func:`run` goes in a straight line, one module per step:

1. :mod:`~analysis.pipeline.notebooks` finds the notebooks and reads their metadata and
   parameters; :mod:`~analysis.pipeline.planning` checks every input (ids, notebooks,
   parameters, the data package) and lists the pairs; bad input raises
   :class:`~analysis.errors.InputError` before anything is run or written.
2. :mod:`~analysis.pipeline.cache` gives each pair a key; a pair whose stored output
   carries the same key, status ``ok``, no pending marker and all its recorded artefacts
   is reused. The package versions in the key are :mod:`~analysis.pipeline.environment`'s.
3. The other pairs run in a local process pool or on a Dask cluster
   (:mod:`~analysis.pipeline.executors`), each through
   :func:`~analysis.pipeline.worker.execute_pair`: one fresh kernel per notebook, forked
   from a template that has done the imports (:mod:`~analysis.pipeline.kernels`), into a
   private staging folder; :mod:`~analysis.pipeline.publish` then moves the artefacts and
   the executed notebook (carrying the key) into ``outputs/<region>/`` with
   ``os.replace``, so a killed run leaves every file either the previous version or the
   new one, never half of either.
4. Per region, ``findings/*.json`` are merged into ``findings.json``; cross-region
   notebooks that read them run last (:mod:`~analysis.pipeline.runner`).

Everything that depends on the repository layout comes in through
:class:`~analysis.pipeline.planning.Project`, so the tests and the benchmark's synthetic
regions run without ``data/``. The modules import only the standard library at the top
(papermill, pandas and Dask when they are needed): the kernel launcher,
``python -m analysis.pipeline.kernels``, runs for every kernel.
"""

from analysis.errors import InputError, RunError
from analysis.pipeline.cache import cache_key, is_fresh, output_notebook, source_fingerprint, stored_cache
from analysis.pipeline.environment import KEY_PACKAGES, environment, write_environment
from analysis.pipeline.notebooks import (
    CROSS_REGION,
    Notebook,
    cross_region_notebooks,
    discover_notebooks,
    read_notebook,
    region_notebooks,
)
from analysis.pipeline.planning import Pair, Plan, Project, parse_parameter, plan
from analysis.pipeline.publish import STAGING, merge_findings
from analysis.pipeline.runner import Report, default_jobs, run
from analysis.pipeline.worker import execute_pair

__all__ = ["CROSS_REGION", "KEY_PACKAGES", "STAGING", "InputError", "Notebook", "Pair", "Plan", "Project", "Report",
           "RunError", "cache_key", "cross_region_notebooks", "default_jobs", "discover_notebooks", "environment",
           "execute_pair", "is_fresh", "merge_findings", "output_notebook", "parse_parameter", "plan", "read_notebook",
           "region_notebooks", "run", "source_fingerprint", "stored_cache", "write_environment"]
