"""The fault harness: a local server that plays each source's failure modes on cue, and whole-flow runs under them."""
