"""The ``warmvisits`` command. Each subcommand's work lives in its own module; this file only
parses arguments, so ``warmvisits --help`` stays fast and lists everything in one place."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

# subcommand -> "module:function"; the function takes the parsed namespace, returns an exit code
HANDLERS: dict[str, str] = {
    "build": "warmvisits.build:cli_build",
    "kpis": "warmvisits.metrics:cli_kpis",
    "demo": "warmvisits.demo:cli_demo",
    "builds": "warmvisits.build:cli_builds",
    "user": "warmvisits.auth:cli_user",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="warmvisits", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    db_help = "database: a folder or a .duckdb pointer (default: $WARMVISITS_DB, else data/)"

    b = sub.add_parser("build", help="read an export folder and build a new database")
    b.add_argument("--exports", required=True, help="folder of export files")
    b.add_argument("--db", help=db_help)
    b.add_argument("--json", action="store_true", help="print the build report as one JSON object")
    b.add_argument("--demo", action="store_true", help="mark the build as generated demo data")

    bl = sub.add_parser("builds", help="list builds, or make an earlier one current")
    bl.add_argument("--db", help=db_help)
    bl.add_argument("--use", metavar="BUILD_ID", help="make this build current again")

    k = sub.add_parser("kpis", help="print the METRICS.md figures as JSON")
    k.add_argument("--db", help=db_help)
    k.add_argument("--quarter", required=True, help="e.g. 2023Q1")
    k.add_argument("--scope", default="", help="township, village or grid code (default: district)")
    k.add_argument("--as-of", dest="as_of", help='"YYYY-MM-DD HH:MM:SS" (default: quarter end)')

    d = sub.add_parser("demo", help="write a demo export set")
    d.add_argument("--out", required=True, help="folder to write the export files into")
    d.add_argument("--scale", choices=["small", "district", "city"], default="district")
    d.add_argument("--seed", type=int, default=2023)

    u = sub.add_parser("user", help="manage dashboard users")
    u.add_argument("action", choices=["add", "passwd", "remove", "list"])
    u.add_argument("username", nargs="?")
    u.add_argument("--role", choices=["leader", "analyst", "callback", "admin"])
    u.add_argument("--scope", default="", help="township code, or empty for the district")
    u.add_argument(
        "--users-file", dest="users_file", help="default: $WARMVISITS_USERS or users.toml"
    )
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u.add_argument(
        "--no-password", action="store_true", help="add a user who signs in only through the proxy"
    )
    return p


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module, func = HANDLERS[command].split(":")
    return getattr(import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _handler(args.command)(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
