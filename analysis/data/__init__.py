"""The data layer: the cited source data, validated, and everything that reads or edits ``data/``.

``from analysis import data as D; D.load("employment")`` returns a validated, typed
DataFrame (:mod:`analysis.data.package`). The other modules:

- :mod:`~analysis.data.documents`: the five source documents (id, text file, names);
- :mod:`~analysis.data.regions`: the region registry, ``data/regions.csv``;
- :mod:`~analysis.data.sources`: is a cited value printed on its source lines?
- :mod:`~analysis.data.provenance`: where a number comes from; every line check;
- :mod:`~analysis.data.correspondence`: municipality numbers across reforms, SN2007 classes;
- :mod:`~analysis.data.ssb`: register data from Statistics Norway into ``data/external/``;
- :mod:`~analysis.data.external`: reading those extracts;
- :mod:`~analysis.data.newregion`: adding a region to the registry.

Nothing here imports from the methods, the notebook sections or anything above them.
"""

from analysis.data.package import (
    REGION_COLUMNS,
    DataError,
    data_fingerprint,
    dataset_names,
    dataset_path,
    descriptor,
    fields,
    forget_descriptors,
    load,
    load_all,
    resource_descriptor,
    validate_package,
)

__all__ = ["REGION_COLUMNS", "DataError", "data_fingerprint", "dataset_names", "dataset_path", "descriptor", "fields",
           "forget_descriptors", "load", "load_all", "resource_descriptor", "validate_package"]
