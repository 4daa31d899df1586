"""Table models backed by paged SQL queries (rows are fetched as the view scrolls)."""
