"""HTML pages of the agreements app."""
