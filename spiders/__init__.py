"""Scrapy project: the generic policy spider, its settings and middlewares.

Spiders only fetch and yield :class:`spiders.items.PolicySnapshot` items; the
item pipeline archives them to WARC through :mod:`pipeline.archive`.
"""
