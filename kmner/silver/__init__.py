"""silver stage of the kmner pipeline."""
