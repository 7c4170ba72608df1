"""Data in and out: every format kmner reads and writes (kmner.data.formats), splits
without leakage (split), corpus statistics (stats), instruction-tuning exports and
LLM answer scoring (instruct). Gold records come from Label Studio files here too:
tasks out (ls_tasks), exports back in as checked gold (gold, with the annotation
policies in gold_policies); kmner.labelstudio adds the server round-trip on top.
See docs/data.md."""
