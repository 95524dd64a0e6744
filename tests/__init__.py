"""baken's test suite."""
