"""Main-content extraction for pages whose declaration gives no selector.

Without a selector the whole ``<body>`` would be versioned: navigation menus,
footers and per-request tokens would then count as policy changes. This
stage asks trafilatura for the page's main text, as Markdown.

Why trafilatura (measured with ``bench/main_content.py`` on the corpus, see
the README's "Noise, classes, sections" section): on the 58 corpus documents
rendered by the replay server its word recall against the selected text was
0.97 at worst (readability-lxml: 0.66), with precision 0.99 at worst; on the
70 daily captures of amazon.com's privacy notice it gives exactly 2 distinct
texts (the one real change, and no noise), like readability; it keeps the
page title (readability drops the ``<h1>``), writes Markdown itself, and is
well kept (releases through 2026). Its weak spot is a short page built of
cards (Amazon's DSA page: recall 0.34-0.42): such a page needs a selector.
"""

from __future__ import annotations

import logging

#: Bump when the fallback's settings change (part of the rules hash).
FALLBACK_VERSION = "trafilatura-2/md-1"

logging.getLogger("trafilatura").setLevel(logging.ERROR)


def main_content(html: str, url: str | None = None) -> str | None:
    """The main text of a page as Markdown, or None when none is found.

    :param html: the decoded page
    :param url: the page URL (helps resolve relative links)
    """
    import trafilatura

    return trafilatura.extract(
        html, url=url, output_format="markdown", include_links=True, include_tables=True,
        include_comments=False, include_images=False, deduplicate=False,
    )
