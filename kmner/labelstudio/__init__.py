"""labelstudio stage of the kmner pipeline."""
