"""Peru's places as built in geodata/: levels, lookups, Amazon scope, compact shapes."""
