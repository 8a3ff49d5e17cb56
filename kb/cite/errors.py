"""The error a cite check raises for a quote or option it cannot work with."""


class CiteError(ValueError):
    """A quote or option the check cannot work with (the message says why)."""
