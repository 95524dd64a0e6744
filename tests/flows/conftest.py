"""Fixtures for engine tests: the shipped content, loaded once, and helpers to walk it."""

from __future__ import annotations

import pytest

from bot.derived import build_engine
from flows import Content, Engine, load_content
from flows.loader import default_content_dir


@pytest.fixture(scope="session")
def content() -> Content:
    """The content shipped with baken."""
    return load_content(default_content_dir())


@pytest.fixture(scope="session")
def engine(content: Content) -> Engine:
    """An engine on the shipped content."""
    return build_engine(content)
