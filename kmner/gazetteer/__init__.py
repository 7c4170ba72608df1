"""gazetteer stage of the kmner pipeline."""
