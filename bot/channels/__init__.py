"""Channels: thin adapters between a chat medium and the engine."""
