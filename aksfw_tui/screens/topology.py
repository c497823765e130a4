"""Topology: the containment tree with finding badges; a selected cluster's egress and public
entries drawn as paths; export of the whole picture as Mermaid or Graphviz DOT."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode as UiNode

from aksfw_tui.checks.base import Status
from aksfw_tui.report.diagram import to_dot, to_mermaid
from aksfw_tui.report.layout import (
    MARK,
    DrawnPath,
    PathStatus,
    TreeNode,
    cluster_for,
    cluster_paths,
    containment_tree,
    with_badges,
)
from aksfw_tui.screens.base import AuditScreen
from aksfw_tui.widgets.status import status_text

PATH_STATUS = {PathStatus.OK: Status.PASS, PathStatus.BROKEN: Status.FAIL,
               PathStatus.UNKNOWN: Status.UNKNOWN}
EXPORTS = {"mermaid": ("aksfw-topology.mmd", to_mermaid), "dot": ("aksfw-topology.dot", to_dot)}
EXPANDED_DEPTH = 4  # root → subscription → VNet → subnet: what runs in a subnet shows at once


class TopologyScreen(AuditScreen):
    """A Tree on the left; what the highlighted line means on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "export('mermaid')", "Mermaid", id="export-mermaid"),
        Binding("g", "export('dot')", "DOT", id="export-dot"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="topology"):
            yield Tree[TreeNode]("", id="tree")
            with VerticalScroll(id="paths"):
                yield Static(id="paths-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        run = self.audit
        root = with_badges(containment_tree(run.topology), run.findings)
        tree = self.query_one("#tree", Tree)
        tree.show_root = True
        tree.root.set_label(self._label(root))
        tree.root.data = root
        self._grow(tree.root, root, depth=1)
        tree.root.expand()
        tree.focus()
        first = self._first_cluster_line(tree.root)
        self.call_after_refresh(tree.move_cursor, first or tree.root)
        self._show(first.data if first is not None and first.data is not None else root)

    def _first_cluster_line(self, node: UiNode[TreeNode]) -> UiNode[TreeNode] | None:
        """Start on a cluster: its paths are what the screen is for."""
        for child in node.children:
            if child.data is not None and cluster_for(self.audit.topology, child.data):
                return child
            found = self._first_cluster_line(child)
            if found is not None:
                return found
        return None

    def _grow(self, parent: UiNode[TreeNode], node: TreeNode, depth: int) -> None:
        for child in node.children:
            branch = parent.add(self._label(child), data=child, expand=depth < EXPANDED_DEPTH,
                                allow_expand=bool(child.children))
            self._grow(branch, child, depth + 1)

    def _label(self, node: TreeNode) -> Text:
        label = Text(node.label)
        badge = node.badge
        if badge is not None and badge.text:
            status = Status.FAIL if badge.fail else Status.UNKNOWN if badge.unknown else Status.PASS
            label.append("  ")
            label.append_text(status_text(self.app, status, badge.text))
        return label

    @on(Tree.NodeHighlighted, "#tree")
    def _highlighted(self, event: Tree.NodeHighlighted[TreeNode]) -> None:
        if event.node.data is not None:
            self._show(event.node.data)

    def _show(self, node: TreeNode) -> None:
        body = self.query_one("#paths-body", Static)
        topology = self.audit.topology
        cluster = cluster_for(topology, node)
        if cluster is None:
            text = Text()
            text.append(node.label, style="bold")
            if node.resource_id:
                text.append(f"\n{node.resource_id}", style="dim")
            badge = node.badge
            if badge is not None:
                text.append(f"\n\nfindings here: {badge.fail} fail · {badge.unknown} unknown · "
                            f"{badge.passed} pass · {badge.not_applicable} n/a")
            text.append("\n\nSelect a cluster or node pool to draw its egress and public entries."
                        "\nm / g export the topology as Mermaid / DOT.", style="dim")
            body.update(text)
            return
        paths = cluster_paths(topology, cluster)
        text = Text()
        text.append(f"{cluster.name}\n", style="bold")
        self._section(text, "Egress", paths.egress)
        self._section(text, "Public entries", paths.ingress)
        if not paths.ingress and not paths.ingress_gaps:
            text.append(f"  no public entry to {cluster.name}\n", style="dim")
        for gap in paths.ingress_gaps:
            text.append_text(status_text(self.app, Status.UNKNOWN, f"  ? could not be read: {gap}\n"))
        body.update(text)

    def _section(self, text: Text, title: str, paths: tuple[DrawnPath, ...]) -> None:
        text.append(f"\n{title}\n", style="bold underline")
        for path in paths:
            text.append_text(status_text(self.app, PATH_STATUS[path.status],
                                         f"  {MARK[path.status]} {path.title}\n"))
            text.append(f"    {path.text}\n")
            if path.status is not PathStatus.OK:
                text.append(f"    {path.reason}\n", style="italic")

    def action_export(self, kind: str) -> None:
        name, render = EXPORTS[kind]
        try:
            Path(name).write_text(render(self.audit.topology), encoding="utf-8")
        except OSError as error:
            self.notify(f"Could not write {name}: {error.strerror or error}", severity="error",
                        markup=False)
            return
        self.notify(f"Wrote {Path(name).resolve()}", title=f"{kind.title()} export", markup=False)
