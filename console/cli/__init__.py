"""The command line: argparse definitions (Qt-free). main.py dispatches to the handlers named here.

Each command names its handler as "module:function", imported only when that command runs, so
`run --headless`, `ingest` and friends never import Qt.
"""
