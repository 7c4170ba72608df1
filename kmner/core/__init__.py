"""Shared ground for every stage: the record model, span and offset utilities,
streaming JSONL, label maps and run configuration."""
