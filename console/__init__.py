"""Rasad core: the Qt-free heart of the console (domain, feeds, alarms, storage, kernels, plugin host)."""

__version__ = "0.1.0"
APP_NAME = "rasad"
