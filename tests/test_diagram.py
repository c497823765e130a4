"""Topology export as Mermaid and Graphviz DOT: valid syntax (checked by small parsers here, no
external tools), the right edges, the same picture in both, and the same text for the same snapshot."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from aksfw_tui.report.diagram import dot_text, mermaid_text, to_dot, to_mermaid
from tests import arm
from tests import arm_ingress as ing

MERMAID_ID = r"[A-Za-z0-9_]+"
DOT_STRING = r'"(?:[^"\\]|\\.)*"'


@dataclass
class Parsed:
    """A diagram read back: labels by id, VNet boxes with their members, edges by id."""

    labels: dict[str, str] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)  # src, dst, label, peering

    def named_edges(self) -> set[tuple[str, str, str, bool]]:
        """Edges by the endpoints' labels, for readable assertions."""
        return {(self.labels[s], self.labels[t], label, peering) for s, t, label, peering in self.edges}

    def members(self, group_label: str) -> set[str]:
        group = next(g for g, label in self.labels.items() if label == group_label and g in self.groups)
        return {self.labels[m] for m in self.groups[group]}


def parse_mermaid(text: str) -> Parsed:
    """Fails on any line that is not a header, node, subgraph, end or edge we emit; on undeclared
    edge ends; and on duplicate ids."""
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    parsed, group = Parsed(), None
    for line in lines[1:]:
        if m := re.fullmatch(rf'  subgraph ({MERMAID_ID})\["([^"]*)"\]', line):
            assert group is None, "no nested subgraphs"
            group = m.group(1)
            _declare(parsed, group, m.group(2))
            parsed.groups[group] = set()
        elif line == "  end":
            assert group is not None, "end without subgraph"
            group = None
        elif m := re.fullmatch(rf'( +)({MERMAID_ID})\["([^"]*)"\]', line):
            assert (len(m.group(1)) == 4) == (group is not None), f"indentation: {line!r}"
            _declare(parsed, m.group(2), m.group(3))
            if group is not None:
                parsed.groups[group].add(m.group(2))
        elif m := re.fullmatch(rf'  ({MERMAID_ID}) (-->|-\.-)(?:\|"([^"|]*)"\|)? ({MERMAID_ID})', line):
            parsed.edges.append((m.group(1), m.group(4), m.group(3) or "", m.group(2) == "-.-"))
        else:
            raise AssertionError(f"not valid Mermaid as we emit it: {line!r}")
    assert group is None, "subgraph not closed"
    for source, target, _, _ in parsed.edges:
        assert source in parsed.labels and target in parsed.labels, f"undeclared: {source} → {target}"
    return parsed


def _declare(parsed: Parsed, node_id: str, label: str) -> None:
    assert node_id not in parsed.labels, f"duplicate id {node_id}"
    assert label and "<" not in label and ">" not in label
    parsed.labels[node_id] = label


def _unquote(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value[1:-1])


def parse_dot(text: str) -> Parsed:
    """Balanced braces and quotes, every statement one we emit, labels quoted, every edge end a
    declared node."""
    unquoted = re.sub(DOT_STRING, "", text)
    assert '"' not in unquoted, "unbalanced quote"
    depth = 0
    for char in unquoted:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "closing brace before its opening"
    assert depth == 0, "unbalanced braces"
    lines = text.splitlines()
    assert lines[0] == "digraph topology {" and lines[-1] == "}"
    parsed, group = Parsed(), None
    for line in lines[1:-1]:
        if m := re.fullmatch(rf"  subgraph ({DOT_STRING}) \{{", line):
            assert group is None and _unquote(m.group(1)).startswith("cluster_")
            group = _unquote(m.group(1))[len("cluster_"):]
            parsed.groups[group] = set()
        elif line == "  }":
            assert group is not None
            group = None
        elif re.fullmatch(rf"    label={DOT_STRING};", line) or line in (
                "  rankdir=LR;", "  compound=true;", '  node [shape=box, fontname="Helvetica"];',
                '  edge [fontname="Helvetica"];'):
            continue
        elif m := re.fullmatch(rf"( +)({DOT_STRING}) \[label=({DOT_STRING})(, shape=folder)?\];", line):
            node_id, label = _unquote(m.group(2)), _unquote(m.group(3))
            _declare(parsed, node_id, label)
            if group is not None and node_id != group:  # not the VNet's own node in its box
                parsed.groups[group].add(node_id)
        elif m := re.fullmatch(rf"  ({DOT_STRING}) -> ({DOT_STRING})(?: \[(.*)\])?;", line):
            attributes = m.group(3) or ""
            found = re.search(rf"label=({DOT_STRING})", attributes)
            parsed.edges.append((_unquote(m.group(1)), _unquote(m.group(2)),
                                 _unquote(found.group(1)) if found else "", "style=dotted" in attributes))
        else:
            raise AssertionError(f"not valid DOT as we emit it: {line!r}")
    for source, target, _, _ in parsed.edges:
        assert source in parsed.labels and target in parsed.labels, f"undeclared: {source} → {target}"
    return parsed


def _everything() -> list[arm.Json]:
    """The baseline with App Gateway → internal LB, a public LB service and a DNAT to the ILB."""
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(), *ing.app_gateway([{"ipAddress": ing.ILB_IP}]),
                  *ing.public_lb()]
    ing.add_dnat(resources, ing.ILB_IP)
    return resources


EXPECTED_EDGES = {
    ("aks-prod/system", "snet-aks-nodes (10.20.0.0/22)", "", False),
    ("aks-prod/user", "snet-aks-nodes (10.20.0.0/22)", "", False),
    ("snet-aks-nodes (10.20.0.0/22)", "rt-aks", "", False),
    ("rt-aks", "fw-hub (10.0.1.4)", "0.0.0.0/0 → 10.0.1.4", False),
    ("fw-hub (10.0.1.4)", "AzureFirewallSubnet (10.0.1.0/26)", "in", False),
    ("pip-fw-hub-01 (20.103.17.40)", "fw-hub (10.0.1.4)", "", False),
    ("pip-fw-hub-02 (20.103.17.41)", "fw-hub (10.0.1.4)", "", False),
    ("vnet-hub (10.0.0.0/16)", "vnet-spoke (10.20.0.0/16)", "peering", True),
    ("pip-agw-aks (20.71.70.5)", "agw-aks (WAF_v2)", "", False),
    ("agw-aks (WAF_v2)", "snet-appgw (10.20.8.0/24)", "in", False),
    ("agw-aks (WAF_v2)", "kubernetes-internal (aks-prod)", "pool-aks", False),
    ("kubernetes-internal (aks-prod)", "snet-aks-nodes (10.20.0.0/22)", "in", False),
    (f"kubernetes-a1b2c3d4e5f6 ({ing.LB_PIP})", "kubernetes (aks-prod)", "", False),
    ("fw-hub (10.0.1.4)", "kubernetes-internal (aks-prod)", f"DNAT shop-https → {ing.ILB_IP}", False),
}


def test_mermaid_draws_routing_placement_peering_and_ingress_edges() -> None:
    text = to_mermaid(arm.topology(_everything()))
    parsed = parse_mermaid(text)
    assert parsed.named_edges() == EXPECTED_EDGES
    assert "  vnet_vnet_hub -.-|\"peering\"| vnet_vnet_spoke" in text.splitlines()


def test_mermaid_boxes_each_vnet_with_its_subnets_and_what_sits_in_them() -> None:
    parsed = parse_mermaid(to_mermaid(arm.topology(_everything())))
    assert parsed.members("vnet-hub (10.0.0.0/16)") == {"AzureFirewallSubnet (10.0.1.0/26)", "fw-hub (10.0.1.4)"}
    assert parsed.members("vnet-spoke (10.20.0.0/16)") == {
        "snet-aks-nodes (10.20.0.0/22)", "snet-appgw (10.20.8.0/24)", "agw-aks (WAF_v2)",
        "kubernetes-internal (aks-prod)"}


def test_dot_is_valid_and_draws_the_same_picture_as_mermaid() -> None:
    topology = arm.topology(_everything())
    dot, mermaid = parse_dot(to_dot(topology)), parse_mermaid(to_mermaid(topology))
    assert dot.named_edges() == EXPECTED_EDGES
    assert dot.labels == mermaid.labels
    assert dot.groups == mermaid.groups


def test_dot_peering_is_one_undirected_dotted_line_clipped_at_the_vnet_boxes() -> None:
    lines = [line for line in to_dot(arm.topology(arm.baseline())).splitlines() if "peering" in line]
    assert lines == ['  "vnet_vnet_hub" -> "vnet_vnet_spoke" [label="peering", style=dotted, dir=none, '
                     'ltail="cluster_vnet_vnet_hub", lhead="cluster_vnet_vnet_spoke"];']


def test_the_same_snapshot_gives_the_same_text_whatever_the_export_order() -> None:
    resources = _everything()
    forward = arm.topology(resources)
    backward = arm.topology(list(reversed(copy.deepcopy(resources))))
    assert to_mermaid(forward) == to_mermaid(backward)
    assert to_dot(forward) == to_dot(backward)


def test_labels_with_quotes_brackets_and_pipes_stay_valid() -> None:
    resources = arm.baseline()
    spoke = arm.find(resources, "vnet-spoke")
    spoke["properties"]["subnets"].append(arm.subnet(arm.SPOKE_VNET, 'snet "odd" [x]|y\\z #1', "10.20.9.0/24"))
    topology = arm.topology(resources)
    mermaid, dot = to_mermaid(topology), to_dot(topology)
    assert 'subnet_snet__odd___x__y_z__1["snet #quot;odd#quot; [x]#124;y\\z #35;1 (10.20.9.0/24)"]' in mermaid
    assert '"subnet_snet__odd___x__y_z__1" [label="snet \\"odd\\" [x]|y\\\\z #1 (10.20.9.0/24)"];' in dot
    parse_mermaid(mermaid)
    assert 'snet "odd" [x]|y\\z #1 (10.20.9.0/24)' in parse_dot(dot).labels.values()


def test_escapers_cover_what_breaks_each_syntax() -> None:
    assert mermaid_text('a "b" <c> d|e #f') == "a #quot;b#quot; #lt;c#gt; d#124;e #35;f"
    assert dot_text('a "b" \\n') == '"a \\"b\\" \\\\n"'


def test_same_names_in_two_subscriptions_get_distinct_ids() -> None:
    resources = arm.baseline()
    resources.append(arm.vnet(arm.HUB_SUB, "rg-other", "vnet-spoke", ["10.30.0.0/16"],
                              [("snet-aks-nodes", "10.30.0.0/22", None)]))
    text = to_mermaid(arm.topology(resources))
    parsed = parse_mermaid(text)
    assert {"vnet_vnet_spoke", "vnet_vnet_spoke_2", "subnet_snet_aks_nodes",
            "subnet_snet_aks_nodes_2"} <= set(parsed.labels)
    parse_dot(to_dot(arm.topology(resources)))


def test_a_peer_outside_the_snapshot_and_a_dnat_to_the_node_subnet_are_drawn() -> None:
    resources = arm.baseline()
    remote = arm.rid(arm.SPOKE_SUB, "rg-shared", "Microsoft.Network/virtualNetworks", "vnet-shared")
    arm.find(resources, "vnet-spoke")["properties"]["virtualNetworkPeerings"].append(
        {"name": "to-vnet-shared", "properties": {"remoteVirtualNetwork": {"id": remote},
                                                  "peeringState": "Connected"}})
    ing.add_dnat(resources, "10.20.0.10", port="22")
    for text, parse in ((to_mermaid(arm.topology(resources)), parse_mermaid),
                        (to_dot(arm.topology(resources)), parse_dot)):
        edges = parse(text).named_edges()
        assert ("vnet-shared (not in the snapshot)", "vnet-spoke (10.20.0.0/16)", "peering", True) in edges
        assert ("fw-hub (10.0.1.4)", "snet-aks-nodes (10.20.0.0/22)", "DNAT shop-https → 10.20.0.10",
                False) in edges


def test_a_subnet_without_route_table_has_no_route_edge_and_an_unattached_table_is_left_out() -> None:
    resources = arm.baseline()
    spoke = arm.find(resources, "vnet-spoke")
    del spoke["properties"]["subnets"][0]["properties"]["routeTable"]
    parsed = parse_mermaid(to_mermaid(arm.topology(resources)))
    assert not [e for e in parsed.named_edges() if e[0] == "snet-aks-nodes (10.20.0.0/22)"]
    assert "rt-aks" not in parsed.labels.values()  # it routes nothing, so it would only be noise


def test_a_dnat_to_the_app_gateways_private_frontend_points_at_the_gateway() -> None:
    resources = arm.baseline()
    ing.add_appgw_subnet(resources)
    resources += [ing.internal_lb(), ing.waf_policy(),
                  *ing.app_gateway([{"ipAddress": ing.ILB_IP}], public=False)]
    ing.add_dnat(resources, ing.APPGW_PRIVATE_IP)
    edges = parse_dot(to_dot(arm.topology(resources))).named_edges()
    assert ("fw-hub (10.0.1.4)", "agw-aks (WAF_v2)", f"DNAT shop-https → {ing.APPGW_PRIVATE_IP}", False) in edges
    assert not [e for e in edges if e[2].startswith("DNAT") and e[1].startswith("snet-appgw")]
