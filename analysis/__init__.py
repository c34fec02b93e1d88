"""Reproducible case studies of Norwegian technology towns and regions.

The package holds the logic the notebooks call: cited data loading and validation
(`analysis.data`), the source-line checks (`analysis.sources`), indicators, survey
analysis, plots, findings and the papermill pipeline.
"""

__version__ = "0.1.0"
