"""Native-frame intake shared by every transport (websocket, MQTT, replay): decode, dedup by
(source, seq), gaps, epochs, publish, health. Pure bookkeeping, no I/O."""

from __future__ import annotations

from console.catalog import TOPICS, stale_after_for
from console.feeds.base import FeedClient, publish_grouped
from console.feeds.codecs.base import CodecError
from console.feeds.codecs.native import decode_frame
from console.feeds.envelope import Batch, Gap, Heartbeat, Position, Welcome
from console.feeds.sequencing import SeqTracker
from console.health import FeedState
from console.model import now_ns


class NativeIntake:
    """Mixed into a FeedClient: `self.on_native(frame_bytes)` for every frame received."""

    trackers: dict[str, SeqTracker]
    messages: int

    def _init_intake(self) -> None:
        self.trackers = {}
        self.messages = 0
        self._link = ""

    def resume_positions(self: FeedClient) -> dict[str, Position]:
        return {sid: Position(tr.epoch, tr.last) for sid, tr in self.trackers.items() if tr.epoch}

    def on_native(self: FeedClient, data: bytes | str):
        try:
            frame = decode_frame(data)
        except CodecError as exc:
            self.quarantine.add(self.name, exc, data)
            return None
        if isinstance(frame, Batch):
            self._on_batch(frame)
        elif isinstance(frame, Welcome):
            self._on_welcome(frame)
        elif isinstance(frame, Gap):
            self._on_gap(frame)
        elif isinstance(frame, Heartbeat):
            lat = round(max(0.0, (now_ns() - frame.t) / 1e6), 1)
            for sid in frame.last:
                if sid in self.sources:
                    self.health.note(sid, latency_ms=lat)
        return frame

    def _adopt(
        self: FeedClient,
        source: str,
        *,
        title_fa: str = "",
        title_en: str = "",
        stale_after_s: float | None = None,
        topic: str = "",
    ) -> None:
        """Register a source this connection carries (titles from the catalog when the server gives none)."""
        etype, fa, en = TOPICS.get(topic, ("", source, source))
        meta = {
            "title_fa": title_fa or fa,
            "title_en": title_en or en,
            "kind": self.kind,
            "connection": self.name,
            "stale_after_s": stale_after_s if stale_after_s is not None else stale_after_for(etype),
        }
        self.health.register(source, **meta)
        self.sources.add(source)
        if self._link:
            self.sources.discard(self._link)
            self.health.unregister(self._link)
            self._link = ""

    def _on_welcome(self: FeedClient, w: Welcome) -> None:
        for info in w.sources:
            self._adopt(
                info.id,
                title_fa=info.title_fa,
                title_en=info.title_en,
                stale_after_s=info.stale_after_s,
                topic=info.topics[0] if info.topics else "",
            )
            tr = self.trackers.get(info.id)
            if tr is not None and tr.epoch and tr.epoch != info.epoch:
                self._once.warning(
                    ("epoch", info.id),
                    "feed %s: source %s restarted its sequence (epoch %s → %s)",
                    self.name,
                    info.id,
                    tr.epoch,
                    info.epoch,
                )
                tr.reset(info.epoch)
        self._connected()
        self._set_all(FeedState.CONNECTED)
        for sid in self.sources:  # a source silent from here on goes stale after its stale-after
            self.health.touch(sid)

    def _on_batch(self: FeedClient, b: Batch) -> None:
        items = b.items
        if not items:
            return
        src = b.source
        tr = self.trackers.get(src)
        if tr is None:
            tr = self.trackers[src] = SeqTracker(b.epoch, items[0].seq - 1)  # joined mid-stream: not a gap
            if src not in self.sources:
                self._adopt(src, topic=items[0].topic)
                self.health.set_state(src, FeedState.CONNECTED)
        elif tr.epoch != b.epoch:
            self._once.warning(
                ("epoch", src),
                "feed %s: source %s restarted its sequence (epoch %s)",
                self.name,
                src,
                b.epoch,
            )
            tr.reset(b.epoch)
        if items[0].source != src or items[-1].source != src or any(r.source != src for r in items):
            bad = [r for r in items if r.source != src]
            items = [r for r in items if r.source == src]
            self.quarantine.add(
                src,
                CodecError(
                    f"{len(bad)} item(s) in a batch of {src} claim source {bad[0].source!r}",
                    kind="wrong-source",
                ),
            )
        v = tr.check(items)
        if v.accepted:
            publish_grouped(self.bus, v.accepted)
        n = len(v.accepted)
        self.messages += n
        h = self.health
        h.count(src, messages=n, duplicates=v.duplicates, gaps=v.gaps, missing=v.missing)
        h.note(
            src,
            last_seq=tr.last,
            latency_ms=round(max(0.0, (now_ns() - items[-1].t) / 1e6), 1) if items else None,
        )
        if v.gaps:
            self._once.warning(("gap", src), "feed %s: %s skipped %d message(s)", self.name, src, v.missing)

    def _on_gap(self: FeedClient, g: Gap) -> None:
        tr = self.trackers.setdefault(g.source, SeqTracker(g.epoch))
        lost = tr.mark_lost(g.first, g.last)
        if lost:
            self.health.count(g.source, gaps=1, missing=lost)
            self._once.warning(
                ("lost", g.source),
                "feed %s: %s lost %d message(s) for good (%s)",
                self.name,
                g.source,
                lost,
                g.reason,
            )
