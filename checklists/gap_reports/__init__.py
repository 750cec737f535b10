"""Gap reports: stored editions of the portfolio's gaps, what changed, and the trend."""
