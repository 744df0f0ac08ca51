"""The binary batch the map page receives: one base64 string per batch (Qt-free).

Layout (little-endian; every section starts on a 4-byte boundary; rasad_map.js decodes it):

    header   uint32[12]  MAGIC, seq, n_up, n_rm, n_add, n_idbytes, cluster_mode, n_clusters, n_single,
                         cluster_zoom x 100 (fractional zoom), 0, 0
    up_slot  uint32[n_up]      up_lat float32[n_up]     up_lon float32[n_up]
    up_hd    uint16[n_up] (+pad)  up_style uint16[n_up] (+pad)
    rm_slot  uint32[n_rm]
    add_slot uint32[n_add]     add_ids  utf-8, ids joined by "\\n" (n_idbytes, +pad)
    clusters (cluster_mode == 1): c_lat float32[n], c_lon float32[n], c_count uint32[n],
             c_mix uint32[n*3] (bus, taxi, service per cluster), single uint32[n_single]

cluster_mode: 0 = draw every vehicle, 1 = draw the clusters and the listed single vehicles.
"""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

import numpy as np

from console.entities import EntityDiff

MAGIC = 0x31534D52  # "RMS1" little-endian
HEADER_WORDS = 12


class ClusterFrame(NamedTuple):
    lat: np.ndarray  # float32
    lon: np.ndarray
    count: np.ndarray  # uint32
    mix: np.ndarray  # uint32 (n, 3)
    single: np.ndarray  # uint32 slots drawn individually
    zoom: float


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def encode_batch(seq: int, diff: EntityDiff, clusters: ClusterFrame | None = None) -> bytes:
    ids = "\n".join(i.replace("\n", " ") for i in diff.add_ids).encode("utf-8")
    n_up = len(diff.up_slot)
    cl = clusters
    header = np.array(
        [
            MAGIC,
            seq & 0xFFFFFFFF,
            n_up,
            len(diff.rm_slot),
            len(diff.add_slot),
            len(ids),
            1 if cl is not None else 0,
            len(cl.count) if cl is not None else 0,
            len(cl.single) if cl is not None else 0,
            round(cl.zoom * 100) if cl is not None else 0,
            0,
            0,
        ],
        dtype="<u4",
    )
    parts = [
        header.tobytes(),
        diff.up_slot.astype("<u4").tobytes(),
        diff.up_lat.astype("<f4").tobytes(),
        diff.up_lon.astype("<f4").tobytes(),
        _pad(diff.up_heading.astype("<u2").tobytes()),
        _pad(diff.up_style.astype("<u2").tobytes()),
        diff.rm_slot.astype("<u4").tobytes(),
        diff.add_slot.astype("<u4").tobytes(),
        _pad(ids),
    ]
    if cl is not None:
        parts += [
            cl.lat.astype("<f4").tobytes(),
            cl.lon.astype("<f4").tobytes(),
            cl.count.astype("<u4").tobytes(),
            np.ascontiguousarray(cl.mix, dtype="<u4").tobytes(),
            cl.single.astype("<u4").tobytes(),
        ]
    return b"".join(parts)


def encode_batch_b64(seq: int, diff: EntityDiff, clusters: ClusterFrame | None = None) -> str:
    return base64.b64encode(encode_batch(seq, diff, clusters)).decode("ascii")


def decode_batch(data: bytes | str) -> dict[str, Any]:
    """The inverse of encode_batch (tests and tools; the page has its own decoder)."""
    if isinstance(data, str):
        data = base64.b64decode(data)
    h = np.frombuffer(data, "<u4", HEADER_WORDS)
    if int(h[0]) != MAGIC:
        raise ValueError("not a map batch (bad magic)")
    n_up, n_rm, n_add, n_idb, mode, n_cl, n_single, zoom = (int(x) for x in h[2:10])
    off = HEADER_WORDS * 4

    def take(dtype: str, n: int) -> np.ndarray:
        nonlocal off
        a = np.frombuffer(data, dtype, n, off)
        off += a.nbytes + (-a.nbytes % 4)
        return a

    out: dict[str, Any] = {"seq": int(h[1])}
    out["up_slot"], out["up_lat"], out["up_lon"] = take("<u4", n_up), take("<f4", n_up), take("<f4", n_up)
    out["up_heading"], out["up_style"] = take("<u2", n_up), take("<u2", n_up)
    out["rm_slot"] = take("<u4", n_rm)
    out["add_slot"] = take("<u4", n_add)
    raw = bytes(data[off : off + n_idb])
    off += n_idb + (-n_idb % 4)
    out["add_ids"] = raw.decode("utf-8").split("\n") if n_idb else []
    out["clusters"] = None
    if mode == 1:
        out["clusters"] = ClusterFrame(
            take("<f4", n_cl),
            take("<f4", n_cl),
            take("<u4", n_cl),
            take("<u4", n_cl * 3).reshape(n_cl, 3),
            take("<u4", n_single),
            zoom / 100.0,
        )
    if off != len(data):
        raise ValueError(f"map batch has {len(data) - off} trailing bytes")
    return out
