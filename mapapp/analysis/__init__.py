"""From validated rows to what a map shows: aggregation, classes, goal KPIs, the map
layer and its symbology."""
