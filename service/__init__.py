"""trialex."""
