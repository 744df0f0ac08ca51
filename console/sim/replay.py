"""Per-source replay buffer: the last N bytes of encoded messages of one source, indexed by sequence.

Messages are encoded once (msgspec) when the world emits them; every client is served slices of
the same bytes. Sequences are contiguous within an epoch, so finding a position is arithmetic.
"""

from __future__ import annotations


class SourceLog:
    def __init__(self, source: str, epoch: str, *, max_bytes: int = 16 * 1024 * 1024, next_seq: int = 1):
        self.source = source
        self.epoch = epoch
        self.max_bytes = max_bytes
        self._items: list[bytes] = []
        self._base = next_seq  # seq of _items[0]
        self._bytes = 0
        self.snapshot_seq = next_seq  # first seq of the latest full round (where a new client starts)

    @property
    def first_seq(self) -> int:
        """Oldest seq still held (0 when empty)."""
        return self._base if self._items else 0

    @property
    def last_seq(self) -> int:
        return self._base + len(self._items) - 1

    @property
    def next_seq(self) -> int:
        return self._base + len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def extend(self, first_seq: int, items: list[bytes]) -> None:
        if not items:
            return
        if first_seq != self.next_seq:
            if self._items:
                raise ValueError(f"{self.source}: seq {first_seq} does not follow {self.last_seq}")
            self._base = first_seq
        self._items.extend(items)
        self._bytes += sum(len(b) for b in items)
        if self._bytes > self.max_bytes:
            self._trim()

    def _trim(self) -> None:
        target = self.max_bytes * 3 // 4
        drop, freed = 0, 0
        for b in self._items:
            if self._bytes - freed <= target:
                break
            freed += len(b)
            drop += 1
        del self._items[:drop]
        self._base += drop
        self._bytes -= freed

    def since(self, cursor: int, limit: int) -> tuple[int, list[bytes]]:
        """Messages after `cursor` (at most `limit`): (seq of the first returned, items).

        When `cursor + 1` is older than the buffer, returns from the oldest held: the caller sees
        that the first seq is beyond cursor + 1 and reports the gap.
        """
        start = max(cursor + 1, self._base)
        i = start - self._base
        if i >= len(self._items):
            return start, []
        return start, self._items[i : i + limit]

    def all_items(self) -> list[bytes]:
        return list(self._items)
