"""Command line: `python -m clustering polis EXPORT_DIR` and `python -m clustering themes CSV`."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "polis": ("clustering.commands.polis", "opinion groups for a Pol.is export directory"),
    "themes": ("clustering.commands.themes", "themes for a CSV of statements (id,text[,language])"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clustering", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
