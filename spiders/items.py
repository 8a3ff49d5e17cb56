"""The items the spider yields: a fetch of a declared document, or a page seen by discovery.

A fetch is :class:`pipeline.archive.Fetch` itself (re-exported here): the spider yields exactly what the
archive writes. ``status`` is the HTTP status (0 when no response arrived, with ``error`` saying why);
``observed_at`` is when the check happened (in replay mode, the replay server's clock).
"""

from dataclasses import dataclass, field

from pipeline.archive import Fetch

__all__ = ["DiscoveredPage", "Fetch"]


@dataclass
class DiscoveredPage:
    """A page fetched while looking for policy pages (discovery), with the links it holds.

    ``kind`` is how the page was reached: ``start`` (a declared start page),
    ``follow`` (a hub page matching a follow pattern) or ``document`` (a
    policy page matching a documents pattern). ``links`` lists the in-domain
    links that matched a pattern: ``{"url", "text", "kind"}``, ``kind`` being
    ``document``, ``follow`` or ``tracked`` (a declared document's URL).
    """

    platform: str
    url: str
    final_url: str
    status: int
    depth: int
    kind: str
    found_on: str | None = None
    title: str | None = None
    links: list = field(default_factory=list)
    observed_at: str = ""
    fetched_at: str = ""
    error: str | None = None
