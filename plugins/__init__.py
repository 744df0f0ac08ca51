"""In-tree department plugins, one sub-package each (see docs/plugins.md)."""
