"""Service modules: each owns the queries of one resource."""
