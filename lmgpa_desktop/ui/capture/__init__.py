"""Recording and transcript pages."""
