"""The replay server: archived pages under their original URLs, as of a date."""
