"""The notebook sections, one module per notebook; :mod:`analysis.sections.base` holds what they share.

A section computes only by calling the methods modules (:mod:`analysis.indicators`,
:mod:`analysis.survey`, :mod:`analysis.reproduce`, :mod:`analysis.findings`) and draws only
through :mod:`analysis.plots`.
"""
