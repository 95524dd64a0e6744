"""The shipped content and an engine built on it, once for all tests of this folder."""

from __future__ import annotations

import pytest

from bot.derived import build_engine
from flows import Content, Engine, load_content
from flows.loader import default_content_dir


@pytest.fixture(scope="package")
def content() -> Content:
    return load_content(default_content_dir())


@pytest.fixture(scope="package")
def engine(content: Content) -> Engine:
    return build_engine(content)
