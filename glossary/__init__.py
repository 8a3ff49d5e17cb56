"""Concept-oriented terminology across platforms (glossary tables, loaders, TBX)."""
