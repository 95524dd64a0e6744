"""One builder of the conversation core for every host (Telegram, the web chat).

The content being served (from the cache of trained readers), the session store, the
metrics, the keys that turn a chat or tab id into a session key, and the core on top of
them: wired the same way for every channel, so a new channel only adds its adapter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation import Conversations
from bot.derived import DerivedCache
from bot.keys import SessionKeys
from bot.metrics import Metrics
from bot.serving import ContentHolder
from bot.settings import Settings
from bot.stores import SessionStore, make_store


@dataclass(frozen=True)
class Host:
    """What a channel needs from the process it runs in."""

    holder: ContentHolder
    store: SessionStore
    metrics: Metrics
    keys: SessionKeys
    core: Conversations


def build_host(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    holder: ContentHolder | None = None,
    metrics: Metrics | None = None,
    clock: Callable[[], float] = time.time,
) -> Host:
    """The core on the settings' content and store; given parts are used as they are."""
    if holder is None:
        holder = ContentHolder(
            settings.BAKEN_CONTENT_DIR, cache=DerivedCache(settings.BAKEN_CACHE_DIR)
        )
    store = store if store is not None else make_store(settings)  # an empty store is falsy
    metrics = metrics if metrics is not None else Metrics()
    secret = settings.BAKEN_SESSION_SECRET
    keys = SessionKeys(secret.get_secret_value().encode() if secret else None)
    core = Conversations(holder, store, metrics=metrics, clock=clock)
    return Host(holder, store, metrics, keys, core)
