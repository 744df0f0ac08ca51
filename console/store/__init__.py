"""Storage: SQLAlchemy Core tables, Alembic migrations, the write-behind readings writer, readings tiers
(rows → blocks → per-minute aggregates), history queries, alarm state with compare-and-set, the
hash-chained audit journal, and operators. `Store` (service.py) is `core.services["store"]`."""

from console.store.db import Database, DatabaseError
from console.store.service import Store

__all__ = ["Database", "DatabaseError", "Store"]
