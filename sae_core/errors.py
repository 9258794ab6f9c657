"""User-facing errors.

Every error a user can cause derives from :class:`SAEExplorerError`. Its message names the problem
and the fix in one line; the app shows it with ``st.error`` and the CLI prints it to stderr and
exits with status 2. Anything else escaping is a bug.
"""

from __future__ import annotations


class SAEExplorerError(Exception):
    """Base class: a problem with the user's input, with a message written for that user."""


class ConfigError(SAEExplorerError, ValueError):
    """A configuration value (or combination of values) is out of range or inconsistent."""


class DataError(SAEExplorerError, ValueError):
    """A data source, file or array cannot be used: malformed, wrong shape, NaN, too large..."""


class RunError(SAEExplorerError):
    """A saved run is missing, corrupt, incompatible, or its name is unsafe."""


class TrainingDivergedError(SAEExplorerError):
    """The loss became NaN or infinite; the model was restored to its last good state."""


class ExportError(SAEExplorerError):
    """A figure cannot be saved as an image: the image engine or Chrome is missing, or a bad path."""
