"""The WhatsApp channel: the Business Cloud API's webhook around the conversation core.

- :mod:`.limits`   WhatsApp's documented limits on what a message may hold, as data
- :mod:`.render`   pure functions: a webhook body as incomings, a message as Cloud API calls
- :mod:`.graph`    baken's own small aiohttp client for the Graph API: bounded, retrying
- :mod:`.pacing`   throughput and per-person pacing, a crisis reply first
- :mod:`.channel`  the adapter the core calls back (show, settle, erase)
- :mod:`.app`      ``baken whatsapp``: ``GET``/``POST /whatsapp``, ``/healthz``, ``/metrics``
- :mod:`.labels`   ``baken content check``'s warnings for labels that do not fit WhatsApp

Everything WhatsApp-only lives here: the person's phone number (``wa_id``) is turned into
an HMAC session key at the edge and kept only for as long as one reply is being sent;
message ids (``wamid``, which carry the phone number) only ever as an HMAC too.
"""
