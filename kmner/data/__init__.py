"""data stage of the kmner pipeline."""
