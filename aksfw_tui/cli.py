"""The `aksfw-tui` command line: choose a source, run the catalogue, print or write the report."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from aksfw_tui import __version__
from aksfw_tui.errors import InputError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_DISCOVERY, EXIT_NOTHING_AUDITED = 0, 1, 2, 3, 4
SEVERITIES = ("critical", "high", "medium", "low", "info")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aksfw-tui",
        description="Audit how AKS clusters are protected by Azure Firewall.",
        epilog="Exit codes: 0 no failing finding at or above --fail-on; 1 there is one; "
               "2 usage or input error; 3 discovery failed; 4 nothing to audit: the input holds "
               "no AKS cluster and no Azure Firewall (0 with --allow-empty).",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true",
                        help="audit the bundled hub-spoke demo export")
    source.add_argument("--from-export", metavar="PATH",
                        help="audit an export: a JSON file or a directory of JSON files")
    source.add_argument("--live", action="store_true",
                        help="audit live Azure (implied by --subscription and --all-subscriptions); "
                             "the subscription defaults to AZURE_SUBSCRIPTION_ID, then the Azure "
                             "CLI's current one")
    parser.add_argument("--headless", action="store_true",
                        help="print the report instead of opening the app")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (schema aksfw-tui/report/v1)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default="high",
                        help="exit 1 when a failing finding has this severity or worse "
                             "(default: high; 'none' never fails)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="an input with no AKS cluster and no Azure Firewall exits 0, not 4 "
                             "(the note on stderr stays)")
    parser.add_argument("--snat-threshold", type=float, default=80.0, metavar="PERCENT",
                        help="peak SNAT port utilisation that fails snat-utilisation (default 80)")
    parser.add_argument("--zone-regions", metavar="FILE",
                        help="JSON list of regions with availability zones, replacing the "
                             "bundled table")
    parser.add_argument("--list-checks", action="store_true",
                        help="print the check catalogue (with --json: as JSON)")
    parser.add_argument("--quiet", action="store_true", help="no progress or notes on stderr")
    parser.add_argument("--no-mouse", action="store_true",
                        help="leave the mouse to the terminal (text selection) in the app")
    parser.add_argument("--version", action="version", version=f"aksfw-tui {__version__}")
    _live_arguments(parser)
    return parser


def _live_arguments(parser: argparse.ArgumentParser) -> None:
    from aksfw_tui.sources.credentials import AUTH_METHODS

    live = parser.add_argument_group("live Azure")
    live.add_argument("--subscription", metavar="ID", action="append", dest="subscriptions", default=[],
                      help="a subscription to audit (repeatable)")
    live.add_argument("--all-subscriptions", action="store_true",
                      help="audit every enabled subscription the credential can read")
    live.add_argument("--tenant-id", metavar="TENANT", help="the Entra ID tenant to sign in to")
    live.add_argument("--auth", choices=AUTH_METHODS, default="default",
                      help="how to sign in (default: DefaultAzureCredential; access-token reads "
                           "AZURE_ACCESS_TOKEN; device-code and browser need a person, not --headless)")
    live.add_argument("--cloud", choices=("AzureCloud", "AzureUSGovernment", "AzureChinaCloud"),
                      default="AzureCloud", help="the Azure cloud (default AzureCloud)")
    live.add_argument("--arm-endpoint", metavar="URL",
                      help="the Resource Manager URL of a private cloud such as Azure Stack Hub "
                           "(https; plain http only for loopback addresses)")
    live.add_argument("--metrics-window", metavar="DURATION", default="24h",
                      help="how far back SNAT metrics are read: 24h, 90m, 7d, PT24H (default 24h)")
    live.add_argument("--save-snapshot", metavar="FILE",
                      help="also write what was read as an export (--from-export FILE reads it back)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.list_checks:
            return _list_checks(args)
        wants_live = bool(args.live or args.subscriptions or args.all_subscriptions)
        if (args.demo or args.from_export) and wants_live:
            parser.error("--subscription and --all-subscriptions read live Azure: "
                         "not with --demo or --from-export")
        if args.subscriptions and args.all_subscriptions:
            parser.error("--subscription and --all-subscriptions: choose one")
        if not (args.demo or args.from_export or wants_live):
            parser.error("choose a source: --demo, --from-export PATH, or live Azure "
                         "(--live, --subscription ID, --all-subscriptions)")
        return _audit(args)
    except InputError as error:
        print(f"aksfw-tui: error: {error}", file=sys.stderr)
        return _input_exit_code(error)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("AKSFW_DEBUG"):
            raise
        print(f"aksfw-tui: internal error: {type(error).__name__}: {error} "
              "(set AKSFW_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INPUT


def _input_exit_code(error: InputError) -> int:
    """3 when discovery could read nothing (DiscoveryError, only ever raised once live is loaded)."""
    live = sys.modules.get("aksfw_tui.sources.live.options")
    return EXIT_DISCOVERY if live is not None and isinstance(error, live.DiscoveryError) else EXIT_INPUT


def _source(args: argparse.Namespace, headless: bool) -> Any:
    from aksfw_tui.audit import Source

    if args.demo:
        from aksfw_tui.sources.demo import load_demo

        source = Source("demo", "demo · hub-spoke reference architecture", load_demo)
    elif args.from_export:
        path = args.from_export
        if not Path(path).exists():
            raise InputError(f"{path}: no such file or directory")

        def load() -> Any:
            from aksfw_tui.sources.export import load_export

            return load_export(path)

        source = Source("export", f"export · {path}", load)
    else:
        source = _live_source(args, headless)
    return _saving(source, args.save_snapshot) if args.save_snapshot else source


def _live_source(args: argparse.Namespace, headless: bool) -> Any:
    from aksfw_tui.audit import Source
    from aksfw_tui.sources.live import LiveOptions, discover, parse_window, validate

    options = LiveOptions(
        subscriptions=tuple(args.subscriptions), all_subscriptions=args.all_subscriptions,
        tenant_id=args.tenant_id, auth=args.auth, cloud=args.cloud, arm_endpoint=args.arm_endpoint,
        metrics_window=parse_window(args.metrics_window), headless=headless)
    validate(options)  # bad flags fail now, before the app opens or anyone signs in
    # Progress goes to stderr only headless: the app owns the terminal.
    progress = _print_event if headless and not args.quiet else None
    scope = ("all subscriptions" if args.all_subscriptions
             else ", ".join(args.subscriptions) or "default subscription")
    return Source("live", f"live · {scope}", lambda: discover(options, progress),
                  load_with_progress=lambda tell: discover(options, tell))


def _print_event(event: Any) -> None:
    print(f"aksfw-tui: {event}", file=sys.stderr, flush=True)


def _saving(source: Any, path: str) -> Any:
    """The same source, writing what it read to `path` as an export each time it loads."""
    from aksfw_tui.audit import Source

    def saved(snapshot: Any) -> Any:
        from aksfw_tui.sources.live import save_snapshot

        save_snapshot(snapshot, path)
        return snapshot

    told = source.load_with_progress
    return Source(source.kind, source.label, lambda: saved(source.load()),
                  load_with_progress=(lambda tell: saved(told(tell))) if told else None)


def _audit(args: argparse.Namespace) -> int:
    settings = _settings(args)
    interactive = not args.headless and sys.stdout.isatty() and sys.stdin.isatty()
    source = _source(args, headless=not interactive)
    if not args.headless:
        if interactive:
            from aksfw_tui.app import run_app

            run_app(source, settings, mouse=not args.no_mouse)
            return EXIT_OK
        if not args.quiet:
            print("aksfw-tui: not a terminal: printing the headless report (add --headless)",
                  file=sys.stderr)
    from aksfw_tui.audit import audit

    snapshot = source.load()
    topology, findings = audit(snapshot, settings=settings)
    if not args.quiet:
        for warning in snapshot.warnings:
            print(f"aksfw-tui: note: {warning}", file=sys.stderr)
    if args.json:
        from aksfw_tui.report.json_report import dumps, report

        _emit(dumps(report(topology, findings)), args.output)
    else:
        _emit_text(topology, findings, args.output)
    return _nothing_audited(topology, args) or _exit_code(findings, args.fail_on)


def _nothing_audited(topology: Any, args: argparse.Namespace) -> int | None:
    """An audit without a subject (no cluster, no firewall) is not a pass: say what the input held
    and exit 4, or, with --allow-empty, note it and let the findings (none) decide."""
    from aksfw_tui.audit import nothing_to_audit

    message = nothing_to_audit(topology)
    if message is None:
        return None
    if not (args.quiet and args.allow_empty):  # --quiet silences notes, not the reason for exit 4
        print(f"aksfw-tui: {message}", file=sys.stderr)
    return None if args.allow_empty else EXIT_NOTHING_AUDITED


def _settings(args: argparse.Namespace) -> Any:
    from aksfw_tui.settings import Settings

    if not 0 < args.snat_threshold <= 100:
        raise InputError(f"--snat-threshold {args.snat_threshold}: must be a percentage in (0, 100]")
    zones = None
    if args.zone_regions:
        try:
            document = json.loads(Path(args.zone_regions).read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(f"{args.zone_regions}: cannot read: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise InputError(f"{args.zone_regions}: not JSON: {error.msg} at line "
                             f"{error.lineno} column {error.colno}") from None
        regions = document.get("regions") if isinstance(document, dict) else document
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise InputError(f"{args.zone_regions}: expected a JSON list of region names "
                             "(or {\"regions\": [...]})")
        zones = frozenset(r.replace(" ", "").lower() for r in regions)
    return Settings(snat_threshold=args.snat_threshold, zone_regions=zones)


def _exit_code(findings: list[Any], fail_on: str) -> int:
    from aksfw_tui.checks.base import Severity, Status

    if fail_on == "none":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    failing = any(f.status is Status.FAIL and f.severity.rank >= threshold for f in findings)
    return EXIT_FINDINGS if failing else EXIT_OK


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _emit(text: str, output: str | None) -> None:
    # A lone surrogate in the input ("\ud800" in a name) cannot be UTF-8: written as U+FFFD.
    text = LONE_SURROGATE.sub("\ufffd", text)
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)


def _write(output: str, text: str) -> None:
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{output}: cannot write: {error.strerror or error}") from None


def _emit_text(topology: Any, findings: list[Any], output: str | None) -> None:
    from rich.console import Console

    from aksfw_tui.report.text import render

    if output:
        import io

        buffer = io.StringIO()
        render(Console(file=buffer, width=120, no_color=True, highlight=False), topology, findings)
        _write(output, LONE_SURROGATE.sub("\ufffd", buffer.getvalue()))
    else:
        render(Console(highlight=False), topology, findings)


def _list_checks(args: argparse.Namespace) -> int:
    from aksfw_tui.checks import CATALOGUE

    rows = [
        {"id": c.id, "title": c.title, "subjects": [s.value for s in c.subjects],
         "severity": c.severity.value, "passes_when": c.passes_when, "rationale": c.rationale,
         "references": list(c.references)}
        for c in CATALOGUE
    ]
    out: TextIO = sys.stdout
    if args.json:
        out.write(json.dumps({"checks": rows}, indent=2) + "\n")
        return EXIT_OK
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        subjects = "+".join(row["subjects"])
        out.write(f"{row['id']:<{width}}  {subjects:<16} {row['severity']:<8} {row['title']}\n")
    return EXIT_OK
