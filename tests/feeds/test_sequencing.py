"""SeqTracker, SeenKeys, Backoff, Quarantine: the bookkeeping behind exactly-once and honest counters."""

from __future__ import annotations

import random

from console.bus import FeedBus
from console.feeds.base import Backoff, publish_grouped
from console.feeds.codecs.base import CodecError
from console.feeds.quarantine import TOPIC, Quarantine
from console.feeds.sequencing import SeenKeys, SeqTracker
from console.health import FeedHealth
from console.model import Reading


def R(seq: int, topic: str = "vehicle/bus", entity: str = "bus-1", t: int = 0) -> Reading:
    return Reading(source="s", seq=seq, topic=topic, entity=entity, etype="Vehicle", t=t or seq)


def seqs(rs):
    return [r.seq for r in rs]


def test_contiguous_batches_take_the_fast_path():
    tr = SeqTracker("e")
    v = tr.check([R(1), R(2), R(3)])
    assert seqs(v.accepted) == [1, 2, 3] and (v.duplicates, v.gaps) == (0, 0)
    v = tr.check([R(4), R(5)])
    assert seqs(v.accepted) == [4, 5] and tr.last == 5


def test_duplicates_dropped_and_counted():
    tr = SeqTracker("e", last=5)
    v = tr.check([R(4), R(5), R(6)])
    assert seqs(v.accepted) == [6] and v.duplicates == 2


def test_gap_counted_once_and_late_fill_accepted_once():
    tr = SeqTracker("e")
    v = tr.check([R(1), R(2), R(6), R(7)])
    assert seqs(v.accepted) == [1, 2, 6, 7]
    assert (v.gaps, v.missing) == (1, 3)
    assert tr.holes == [[3, 5]]
    v = tr.check([R(4)])
    assert seqs(v.accepted) == [4] and v.filled == 1
    assert tr.holes == [[3, 3], [5, 5]]
    v = tr.check([R(4), R(3), R(5), R(5)])
    assert seqs(v.accepted) == [3, 5] and v.duplicates == 2 and tr.holes == []


def test_unsorted_batch_is_not_mistaken_for_contiguous():
    tr = SeqTracker("e")
    v = tr.check([R(1), R(3), R(2), R(4)])  # first+n-1 == last, but out of order
    assert seqs(v.accepted) == [1, 3, 2, 4] and v.filled == 1 and v.duplicates == 0


def test_mark_lost_moves_past_what_the_server_no_longer_has():
    tr = SeqTracker("e", last=10)
    assert tr.mark_lost(11, 20) == 10
    assert tr.mark_lost(15, 18) == 0  # already past
    assert tr.check([R(21)]).accepted


def test_seen_keys_dedup_and_bound():
    seen = SeenKeys(limit=100)
    fresh, dups = seen.fresh([R(1, t=1), R(2, t=1), R(3, entity="bus-2", t=1)])
    assert len(fresh) == 2 and dups == 1
    for i in range(200):
        seen.fresh([R(i, entity=f"e{i}", t=i)])
    assert len(seen._seen) <= 100


def test_backoff_grows_with_jitter_and_caps():
    b = Backoff(0.1, 2.0, random.Random(1))
    delays = [b.next_delay() for _ in range(10)]
    assert all(0.05 <= d <= 2.0 for d in delays)
    assert delays[0] <= 0.1 and max(delays[5:]) > 0.9
    b.reset()
    assert b.next_delay() <= 0.1


def test_publish_grouped_splits_mixed_topics():
    bus = FeedBus()
    got: list[tuple[str, int]] = []
    bus.subscribe("#", lambda t, items: got.append((t, len(items))))
    publish_grouped(bus, [R(1, "a"), R(2, "a"), R(3, "b"), R(4, "a")])
    bus.flush()
    assert sorted(got) == [("a", 3), ("b", 1)]


def test_quarantine_keeps_reason_counts_and_publishes():
    bus = FeedBus()
    health = FeedHealth()
    q = Quarantine(bus, health, per_source=3)
    seen = []
    bus.subscribe(TOPIC, lambda t, items: seen.extend(items))
    for i in range(5):
        q.add("feed-x", CodecError(f"bad {i}", field="$.x", kind="bad-json"), b"{oops" * 2000)
    bus.flush()
    recs = q.records("feed-x")
    assert len(recs) == 3 and recs[-1].reason == "$.x: bad 4" and len(recs[-1].sample) == 4096
    assert health.get("feed-x").quarantined == 5
    assert q.counts() == {("feed-x", "bad-json"): 5}
    assert len(seen) == 5
