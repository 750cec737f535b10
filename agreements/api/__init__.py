"""REST API of the agreements app (/api/v1/)."""
