"""Live feeds: sources (websocket, MQTT, file replay), codecs, sequencing, quarantine.

Every source turns bytes into `Reading`s through a codec (`console.feeds.codecs`), checks them
against its `SequenceTracker` (dedup by (source, seq), gap detection), publishes them on the
FeedBus and reports to `FeedHealth`. Bad input is quarantined, never raised into the event loop.
"""
