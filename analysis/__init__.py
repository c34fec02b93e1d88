"""Reproducible case studies of Norwegian technology towns and regions.

The package holds everything the notebooks and the command line call, in layers; a
module imports only from its own layer and the ones before it (``tests/test_layers.py``):

1. ``errors``, ``config``, ``files``, ``names``: the exception tree, where things are,
   the atomic writer, the slug rule;
2. ``data``: the cited datasets, validated, and everything that reads or edits ``data/``;
3. ``indicators``, ``survey``, ``reproduce``, ``findings``, ``plots``: the methods;
4. ``casestudy``, ``external``: the notebook sections;
5. ``pipeline``: running the notebooks for every region;
6. ``report``, ``book``, ``verify``, ``datacheck``: publishing and checking;
7. ``cli``: ``python -m analysis …``.
"""

__version__ = "0.1.0"
