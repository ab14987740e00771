"""Static analysis of statements: facts per statement, function summaries, library specs."""
