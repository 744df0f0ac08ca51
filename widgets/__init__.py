"""Reusable Qt widgets and the main window shell. May import console, never plugins."""
