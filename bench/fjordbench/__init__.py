"""fjord benchmark suite (bench/run)."""
