"""The only code that writes KB rows."""
