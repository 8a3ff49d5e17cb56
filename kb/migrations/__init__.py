"""Schema steps, one module per feature, applied in file-name order (see ``kb.db``)."""
