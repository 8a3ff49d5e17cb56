"""From archived fetches to versions: archive, extract, normalize, dates, diff, ingest.

Each stage is a plain function a test can call without Scrapy or Datasette.

The names below are loaded on first use (PEP 562), not when the package is: every process imports
``pipeline`` (the crawler for its archive writer, every command for the declarations), and loading
extraction with it (BeautifulSoup, soupsieve's compiled patterns, markdownify, the diff and date patterns)
cost each of them about 0.2 CPU s, a crawl or a build where nothing changed included. The functions
``extract`` and ``diff`` share their modules' names, which importing the module binds on the package: import
them from their modules (``from pipeline.extract import extract``).
"""

from importlib import import_module

#: name -> the module that defines it
_LAZY = {"content_hash": "pipeline.normalize", "ExtractionError": "pipeline.extract", "find_dates": "pipeline.dates",
         "normalize_text": "pipeline.normalize"}

__all__ = ["content_hash", "ExtractionError", "find_dates", "normalize_text"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
