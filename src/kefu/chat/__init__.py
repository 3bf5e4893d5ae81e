"""Online chat (在线客服, SPEC M3): queues, automatic assignment, messages with client ids and sequence numbers,
agent presence, the idle flow and first-reply alerts as durable timers. ``assign`` is the pure engine; ``service``
applies it to the store. The WebSocket transport, the widget and the workspace sit on top of ``service``."""
