"""Tests of the host side: channels, stores, web, metrics."""
