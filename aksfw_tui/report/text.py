"""The readable headless report, rendered with rich (to a terminal, or plain text in a pipe)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from aksfw_tui.audit import nothing_to_audit
from aksfw_tui.checks.base import Finding, Status
from aksfw_tui.model.topology import Topology
from aksfw_tui.report.json_report import summary
from aksfw_tui.report.views import badge, importance, printable

STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.UNKNOWN: "yellow",
         Status.NOT_APPLICABLE: "dim"}


def render(console: Console, topology: Topology, findings: list[Finding]) -> None:
    source = topology.snapshot.source
    counts = summary(findings)
    header = Text.assemble(
        ("aksfw-tui audit", "bold"), f" · source: {source.get('kind')}",
        f" {source.get('path') or source.get('name') or ''}".rstrip(),
        f"\n{len(topology.clusters)} cluster(s), {len(topology.firewalls)} firewall(s) · ",
        (f"{counts['fail']} fail", "bold red"), " · ", (f"{counts['unknown']} unknown", "yellow"),
        " · ", (f"{counts['pass']} pass", "green"), " · ", f"{counts['not_applicable']} n/a",
    )
    console.print(Panel(header, expand=False))
    nothing = nothing_to_audit(topology)
    if nothing is not None:  # not a pass: nothing was audited
        console.print(Text(f"✘ Nothing audited: {nothing}", style="bold red"))
    table = Table(show_lines=False, header_style="bold", expand=True)
    table.add_column("status", no_wrap=True)
    table.add_column("sev", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("resource", no_wrap=True)
    table.add_column("finding", ratio=1)
    for finding in sorted(findings, key=importance):
        table.add_row(
            Text(badge(finding.status), style=STYLE[finding.status]),
            finding.severity.value if finding.status is Status.FAIL else "",
            # Input-derived text is Text, never markup: a name like `fw[/]` shows as written.
            Text(finding.check.id), Text(printable(finding.subject.name)),
            Text(printable(finding.result.message)),
        )
    if findings:
        console.print(table)
    failures = [f for f in sorted(findings, key=importance) if f.status is Status.FAIL]
    for finding in failures:
        _render_fix(console, finding)
    if topology.unreadable:
        console.print(Text("Could not read:", style="bold yellow"))
        for entry in topology.unreadable:
            console.print(Text(printable(f"  {entry.scope}: {entry.reason}")))
    for warning in topology.snapshot.warnings:
        console.print(Text(printable(f"note: {warning}"), style="dim"))


def _render_fix(console: Console, finding: Finding) -> None:
    """A failure's fix, unboxed and soft-wrapped so each az command copies as one line."""
    remediation = finding.result.remediation
    if remediation is None:
        return
    title = Text(f"fix: {finding.check.id} · {finding.subject.name} ({finding.severity.value})",
                 style="rule.text")
    console.print(Rule(title, align="left", style="red"))
    console.print(Text(printable(remediation.summary), style="bold"), soft_wrap=True)
    for number, step in enumerate(remediation.steps, 1):
        console.print(Text(printable(f"  {number}. {step}")), soft_wrap=True, highlight=False)
    if remediation.az_cli:
        console.print(Text("  az CLI:", style="bold"))
        for line in remediation.az_cli:
            console.print(Text(printable(f"    {line}"), style="cyan"), soft_wrap=True)
    console.print()
