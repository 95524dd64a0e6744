"""End-to-end tests: the real baken processes against the stand-in Bot API."""
