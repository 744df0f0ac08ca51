"""Department plugins shipped with the console, one sub-package each (docs/plugins.md)."""
