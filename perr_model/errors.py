"""Specific exceptions. Messages are French and meant for the user, one line each."""


class PerrError(Exception):
    """Base of every error the product reports to a user."""


class ReadOnlyStore(PerrError):
    """A write was attempted through a read-only connection (public instance)."""


class QueryTimeout(PerrError):
    """A statement stopped by the time limit (PERR_QUERY_TIMEOUT_MS) on either backend."""


class DatabaseUnavailable(PerrError):
    """The database cannot be reached or cannot write (server down or gone, file out of reach,
    disk full): nothing was written. Raised for the driver's error by `store`'s error hook."""


class MalformedDocument(PerrError):
    """A protocol document whose structure cannot be read: nothing is written."""


class ImportRefused(PerrError):
    """An import refused as a whole; `problems` lists what was refused, row by row."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class PermissionDenied(PerrError):
    """The signed-in user may not do this (role, or commune outside their remit)."""


class ConcurrentEdit(PerrError):
    """Someone else saved the record since it was opened."""

    def __init__(self, message: str, changes: dict | None = None):
        super().__init__(message)
        self.changes = changes or {}


class UnknownSchema(PerrError):
    """A file whose columns/properties match no known official schema."""


class ValidationFailed(PerrError):
    """A form or row that does not validate; `problems` maps each field to a French message."""

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


class AuthenticationFailed(PerrError):
    """Unknown account, wrong password or inactive account (one message for all three)."""
