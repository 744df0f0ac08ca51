"""Alembic migrations, shipped inside the package so an installed checkout can migrate itself."""
