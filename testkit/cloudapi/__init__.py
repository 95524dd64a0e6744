"""A stand-in WhatsApp Business Cloud API for tests and benchmarks.

It speaks the Graph API's ``POST /{version}/{phone-number-id}/messages`` over real HTTP on
127.0.0.1, so baken reaches it through ``WHATSAPP_API_URL`` exactly as it reaches Meta: no
mocks, the fake sits at the network seam.

What it does:

- checks every request against the documented limits (:mod:`.rules`: at most 3 reply
  buttons with titles of 20 characters, lists of at most 10 rows with titles of 24 and
  descriptions of 72, bodies of 1,024 and texts of 4,096 characters, URL buttons, never a
  template) and refuses what breaks one with Meta's error 100, recording it
  (:meth:`StandinCloudAPI.violations`);
- checks the bearer token and the phone number id;
- records every accepted message per person (:meth:`StandinCloudAPI.sent`) and lets a
  test wait for calls (:meth:`StandinCloudAPI.wait_for`), never sleep;
- injects faults into the next requests (:data:`FAULTS`: throughput and pair rate limits,
  429, 5xx, a dropped connection) and refuses people baken may no longer write to
  (:meth:`StandinCloudAPI.block`: outside the 24-hour window, undeliverable, stopped);
- builds notifications as Meta sends them (text, button and list replies, photos, places,
  contacts, reactions, statuses; profile names; message ids that carry the phone number)
  and posts them signed with the app secret, with a wrong signature, or unsigned
  (:mod:`.notifications`).

In a test::

    async with StandinCloudAPI() as api:
        # WHATSAPP_API_URL=api.api_url, WHATSAPP_TOKEN=api.token, ...
        await api.post(webhook_url, api.notification("31612345678", text("hoi")))
        calls = await api.wait_for(lambda c: c.to == "31612345678")
"""

from testkit.cloudapi import notifications
from testkit.cloudapi.rules import problems
from testkit.cloudapi.server import (
    DEFAULT_APP_SECRET,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    FAULTS,
    Call,
    StandinCloudAPI,
)

__all__ = [
    "DEFAULT_APP_SECRET",
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "FAULTS",
    "Call",
    "StandinCloudAPI",
    "notifications",
    "problems",
]
