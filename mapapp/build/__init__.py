"""Commands that write the committed data: the geodata from sources, the demo dataset."""
