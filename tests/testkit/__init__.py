"""A stand-in Telegram Bot API over 127.0.0.1, for tests and benchmarks (see testkit/botapi/)."""
