"""Alerts: subscriptions, the outbox and its dispatcher, one module per channel.

    enqueue_event_alerts(session, event, kind, settings)   # inside ingest's transaction
    dispatch_due(engine, settings)                          # the dispatcher's pass

Channels (``email``, ``webhook``, ``apprise_channel``) share one protocol,
``send(message) -> SendResult``; ``render`` builds what they send.
"""
