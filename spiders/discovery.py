"""Discovery: which links of a help-centre page lead to policy pages.

Pure functions over a page's HTML, used by the generic spider. A link is
kept only when it is http(s), on one of the platform's declared domains, and
matches one of the declaration's ``discovery`` patterns; fragments and
tracking parameters (``ref``, ``utm_*``, ``spm``, ...) are dropped so one page
is one URL.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from pipeline.normalize import canonical_url
from pipeline.sources import Platform


def policy_links(platform: Platform, page_url: str, anchors, tracked=frozenset()) -> list[dict]:
    """The links of a page that discovery cares about, in page order, each once.

    :param platform: the platform whose ``discovery`` patterns and domains apply
    :param page_url: the page's URL (relative links resolve against it)
    :param anchors: ``(href, text)`` pairs of the page's ``<a>`` elements
    :param tracked: canonical URLs of declared documents (reported as ``tracked``)
    :returns: ``[{"url", "text", "kind"}]`` with kind ``document``, ``follow`` or ``tracked``
    """
    found = []
    seen = {canonical_url(u) for u in platform.discovery.start} if platform.discovery else set()
    for href, text in anchors:
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        try:
            url = canonical_url(urljoin(page_url, href))
        except ValueError:
            continue
        if url in seen or urlsplit(url).scheme not in ("http", "https") or not platform.on_domain(url):
            continue
        if url in tracked:
            kind = "tracked"
        else:
            kind = platform.discovery.wants(url) if platform.discovery else None
        if kind is None:
            continue
        seen.add(url)
        found.append({"url": url, "text": " ".join((text or "").split())[:200], "kind": kind})
    return found
