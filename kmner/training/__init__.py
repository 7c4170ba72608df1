"""training stage of the kmner pipeline."""
