"""Only for ``scrapyd-deploy``, which builds the egg Scrapyd needs with ``python setup.py bdist_egg``.

Everything (metadata, packages, the ``scrapy`` entry point naming the settings
module) is in pyproject.toml; ``pip install`` does not need this file.
"""

from setuptools import setup

setup()
