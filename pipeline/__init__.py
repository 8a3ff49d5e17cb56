"""From archived fetches to versions: archive, extract, normalize, dates, diff, ingest.

Each stage is a plain function a test can call without Scrapy or Datasette.
"""

from pipeline.dates import find_dates
from pipeline.diff import diff
from pipeline.extract import ExtractionError, extract
from pipeline.normalize import content_hash, normalize_text

__all__ = ["content_hash", "diff", "extract", "ExtractionError", "find_dates", "normalize_text"]
