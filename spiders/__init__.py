"""Scrapy project: the generic policy spider, its settings and middlewares.

Spiders only fetch and yield :class:`pipeline.archive.Fetch` items; the
item pipeline archives them to WARC through :mod:`pipeline.archive`.
"""
