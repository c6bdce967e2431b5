"""Files people bring: bounded reading, validation row by row, the datasets the map shows."""
