"""The item the spider yields: one fetch attempt of one declared document."""

from dataclasses import dataclass, field


@dataclass
class PolicySnapshot:
    """A fetch of a declared document, successful or not.

    ``status`` is the HTTP status (0 when no response arrived, with ``error``
    saying why). ``observed_at`` is when the check happened (in replay mode,
    the replay server's clock).
    """

    document: str
    url: str
    final_url: str
    status: int
    headers: list = field(default_factory=list)
    body: bytes = b""
    fetched_at: str = ""
    observed_at: str = ""
    error: str | None = None
    locale: str | None = None
