"""Data in and out: every format kmner reads and writes (kmner.data.formats), splits
without leakage (split), corpus statistics (stats), instruction-tuning exports and
LLM answer scoring (instruct). See docs/data.md."""
