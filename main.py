"""Rasad composition root: parse the command line, then hand over to the core or the Qt shell.

python main.py                      the console (Persian, right-to-left)
python main.py run --headless       core only, no Qt
python main.py snapshot --out x.png offscreen screenshot
python main.py plugins              discovered plugins and their state
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str] | None = None) -> int:
    from console.cli.parser import CliError, handler_for, parse

    args = parse(sys.argv[1:] if argv is None else argv)
    module_name, func_name = handler_for(args).split(":")
    handler = getattr(importlib.import_module(module_name), func_name)
    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
