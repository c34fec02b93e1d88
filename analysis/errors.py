"""The project's exceptions: everything it refuses or cannot do is an :class:`AnalysisError`.

The command line catches :class:`AnalysisError` once (``analysis.cli.main``) and prints
its message as one line on stderr with exit status 2, so every message must say in one
line what was wrong and, where it can, what to do. Anything else that escapes a command
is a bug and keeps its traceback.

::

    AnalysisError
    ├── InputError (ValueError)      bad input to a command: a malformed id, parameter or notebook
    │   ├── RegionError              an unknown region
    │   ├── RegistryError            a region cannot be added to the registry
    │   └── MunicipalityError        a malformed or unknown municipality number
    ├── DataError                    a dataset is missing, unreadable or violates its schema
    │   └── SourceError              a cited document or line range does not exist
    ├── RunError                     a run cannot start (another run holds the outputs)
    │   └── MissingOutputs (FileNotFoundError)   executed notebooks a report or the book needs
    ├── WriteError (OSError)         a file cannot be written (full disk, read-only, a link); nothing was half-written
    ├── ExternalError                a service or tool outside the project failed or is absent
    │   ├── SSBError                 the Statistics Norway fetch failed; nothing was written
    │   └── QuartoMissing            Quarto >= 1.5 is not on PATH
    └── MethodError                  a method cannot compute its result from its input
        ├── UndefinedIndicator (ZeroDivisionError)
        ├── MissingKey (KeyError)
        ├── NotComputable (ValueError)
        ├── InsufficientData (ValueError)
        └── FigureError (ValueError)

The methods' exceptions keep their built-in bases, so code (and tests) that catch
``ZeroDivisionError``, ``KeyError`` or ``ValueError`` still catch them.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Something the project refuses or cannot do, said in one line."""


# --------------------------------------------------------------------------- input


class InputError(AnalysisError, ValueError):
    """Bad input to a command: a malformed or unknown id, a malformed parameter, a broken notebook."""


class RegionError(InputError):
    """An unknown region id."""


class RegistryError(InputError):
    """A region cannot be added (bad input, a duplicate, or the new registry would be invalid)."""


class MunicipalityError(InputError):
    """A malformed or unknown municipality number."""


# --------------------------------------------------------------------------- data


class DataError(AnalysisError):
    """A dataset is missing, unreadable or violates its schema."""


class SourceError(DataError):
    """A cited document or line range does not exist."""


# --------------------------------------------------------------------------- runs


class RunError(AnalysisError):
    """A run cannot start: another run is writing the same outputs."""


class MissingOutputs(RunError, FileNotFoundError):
    """The executed notebooks a report or the book is made from are missing: run first."""


# --------------------------------------------------------------------------- writing


class WriteError(AnalysisError, OSError):
    """A file or folder cannot be written: a full disk, a read-only folder, no permission, or a
    symbolic link where the project writes a folder. Whatever was there before is left as it was.

    An OSError too, so code that treats a failed write as best effort (a cache file) still does.
    """


# --------------------------------------------------------------------------- outside the project


class ExternalError(AnalysisError):
    """A service or tool outside the project failed or is not installed."""


class SSBError(ExternalError):
    """The fetch from Statistics Norway failed; nothing was written."""


class QuartoMissing(ExternalError):
    """Quarto >= 1.5 is not on PATH."""


# --------------------------------------------------------------------------- methods


class MethodError(AnalysisError):
    """A method cannot compute its result from the input it was given."""


class UndefinedIndicator(MethodError, ZeroDivisionError):
    """The indicator is undefined for these (valid) inputs, e.g. a relative change from 0."""


class MissingKey(MethodError, KeyError):
    """A region, year or industry the calculation needs is absent from the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotComputable(MethodError, ValueError):
    """The expression is prose, or names data that does not exist."""


class InsufficientData(MethodError, ValueError):
    """Too few items or respondents for the statistic."""


class FigureError(MethodError, ValueError):
    """A figure lacks what every published figure must have (title, labels, source)."""
