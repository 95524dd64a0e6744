"""Channels: thin adapters between a chat medium and the conversation core.

Each turns what a person did into an :class:`~bot.conversation.Incoming` and shows
what the core hands back (:class:`~bot.conversation.Channel`): ``telegram/`` (Bot API),
``console.py`` (``baken chat``). ``texts.py`` lists the content texts they use.
"""
