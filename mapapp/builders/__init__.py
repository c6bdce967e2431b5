"""Commands that write the committed data: geodata/ from the boundary sources, and the
demo dataset on it."""
