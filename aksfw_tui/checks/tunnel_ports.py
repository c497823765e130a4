"""tunnel-ports: the firewall lets every node subnet reach the cluster's API server on UDP 1194 and
TCP 9000 (the node ↔ control-plane tunnel of Microsoft's AKS + Azure Firewall guidance).

The API server of a public cluster has no IP in the snapshot; it is evaluated as a symbolic
destination in `AzureCloud.<region>` that answers to its own FQDN (DESIGN §5). Clusters whose tunnel
runs over konnectivity (TCP 443 to `*.hcp.<region>.azmk8s.io`, part of the `AzureKubernetesService`
FQDN tag) keep working without the two ports, so when only the ports are missing the failure is
`low`; when the konnectivity path is closed as well, `high`. The flows are evaluated per node subnet
with `node_egress.NodeFlows`; the fix is a network collection written by `remediation.rule_fix`.
"""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import (
    Check,
    Result,
    Severity,
    Subject,
    failed,
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.checks.node_egress import (
    NodeFlows,
    api_https_caveat,
    denials,
    describe_denials,
    firewall_egress,
    fixes_by_firewall,
    not_through_firewall,
)
from aksfw_tui.firewall.evaluator import Decision, Destination, Flow, Verdict, evaluate_flow
from aksfw_tui.firewall.rules import Kind
from aksfw_tui.model import ids
from aksfw_tui.model.resources import Cluster
from aksfw_tui.model.topology import ClusterEgress, Topology
from aksfw_tui.remediation.firewall_rules import NewRule
from aksfw_tui.remediation.rule_fix import NewCollection, RuleFix, rule_remediation

TUNNEL_FLOWS = (("udp", 1194, "tunnel-udp"), ("tcp", 9000, "tunnel-tcp"))


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    if cluster.api_unread:  # private, VNet-integrated or public decides what is needed
        return unknown(f"{cluster.api_unread}, so how the API server is reached cannot be told")
    if cluster.private or cluster.vnet_integration:
        kind = "a private cluster" if cluster.private else "an API Server VNet Integration cluster"
        return not_applicable(f"{cluster.name} is {kind}: its nodes reach the API server inside the "
                              "VNet, not through the firewall", private=cluster.private,
                              vnet_integration=cluster.vnet_integration)
    if not cluster.region:
        return unknown(f"cluster {cluster.name} has no location in the export, so the API server's "
                       "service tag (AzureCloud.<region>) is unknown")
    egress = firewall_egress(topology, cluster)
    evidence: dict[str, Any] = {"api_server": cluster.api_fqdn or None,
                                "service_tag": f"AzureCloud.{cluster.region}",
                                "egress": egress.status.value, "egress_reason": egress.reason}
    ended = not_through_firewall(cluster, egress, evidence)
    return ended if ended is not None else _judge(topology, cluster, egress, evidence)


def _judge(topology: Topology, cluster: Cluster, egress: ClusterEgress,
           evidence: dict[str, Any]) -> Result:
    api = Destination.api_server(cluster.api_fqdn, cluster.region)
    results = [NodeFlows.of(topology, s, [(_label(p, port), Flow(p, port, api))
                                          for p, port, _ in TUNNEL_FLOWS])
               for s in egress.subnets]
    evidence["node_subnets"] = [r.evidence() for r in results]
    denied = denials(results)
    if denied:
        return _fail(topology, cluster, denied, evidence)
    doubts = [d for r in results for d in r.doubts()]
    if doubts:
        return unknown("cannot tell whether the tunnel ports are open: " + "; ".join(doubts),
                       **evidence)
    allowed = "; ".join(f"{r.describe()} via {r.firewall.name}: "
                        + ", ".join(f"{label} {v.reason}" for label, v in r.verdicts.items())
                        for r in results)
    return passed(f"UDP 1194 and TCP 9000 to the API server of {cluster.name} "
                  f"({api.label}, AzureCloud.{cluster.region}) are allowed from every node subnet: "
                  f"{allowed}", **evidence)


def _fail(topology: Topology, cluster: Cluster, denied: list[tuple[NodeFlows, str]],
          evidence: dict[str, Any]) -> Result:
    missing = describe_denials(denied)
    failing = list(dict.fromkeys(r for r, _ in denied))
    konnectivity = {r.subnet_id: _konnectivity(topology, cluster, r) for r in failing}
    evidence["konnectivity"] = {ids.name_of(k): v.evidence() for k, v in konnectivity.items()}
    head = (f"the firewall blocks the AKS tunnel to the API server of {cluster.name} "
            f"({cluster.api_fqdn or 'FQDN not exported'}, AzureCloud.{cluster.region}): {missing}")
    ports = ", ".join(dict.fromkeys(label for _, label in denied))
    fix = rule_remediation(topology, cluster, _fixes(cluster, failing, denied),
                           f"Allow {ports} from {cluster.name}'s node subnets to "
                           f"AzureCloud.{cluster.region} (the AKS tunnel to the API server)")
    severity, tail = _konnectivity_says(cluster, list(konnectivity.values()))
    return failed(f"{head}{tail}", fix, severity, **evidence)


def _konnectivity_says(cluster: Cluster, verdicts: list[Verdict]) -> tuple[Severity, str]:
    """Open konnectivity path: low (the cluster still works); closed or unseen: high."""
    target = f"TCP 443 to {cluster.api_fqdn or '*.hcp.' + cluster.region + '.azmk8s.io'}"
    if all(v.decision is Decision.ALLOW for v in verdicts):
        how = "; ".join(dict.fromkeys(v.reason for v in verdicts))
        return Severity.LOW, (f". The konnectivity path ({target}) is open ({how}), so a cluster "
                              "whose tunnel runs over konnectivity still reaches its control plane; "
                              "the ports remain in Microsoft's required list for the tunnel they carry")
    closed = [v for v in verdicts if v.decision is Decision.DENY]
    if closed:
        why = "; ".join(dict.fromkeys(v.reason for v in closed))
        return Severity.HIGH, (f"; the konnectivity path ({target}) is closed too ({why}), so nodes "
                               "cannot reach the control plane: kubectl logs, exec and port-forward, "
                               "and admission webhooks fail")
    why = "; ".join(dict.fromkeys(v.reason for v in verdicts if v.decision is not Decision.ALLOW))
    return Severity.HIGH, (f"; whether the konnectivity path ({target}) is open could not be seen "
                           f"({why}), so this is reported at the severity of a closed "
                           "control-plane path")


def _konnectivity(topology: Topology, cluster: Cluster, flows: NodeFlows) -> Verdict:
    """TCP 443 to the API server's FQDN: the path konnectivity tunnels over."""
    api = Destination.api_server(cluster.api_fqdn, cluster.region)
    return api_https_caveat(cluster, evaluate_flow(topology, flows.firewall, Flow("tcp", 443, api),
                                                   flows.sources))


def _fixes(cluster: Cluster, failing: list[NodeFlows],
           denied: list[tuple[NodeFlows, str]]) -> list[RuleFix]:
    """One network collection with the tunnel rules that were denied somewhere."""
    labels = {label for _, label in denied}
    rules = tuple(
        NewRule(name=name, kind=Kind.NETWORK, protocols=(proto.upper(),), ports=(str(port),),
                destinations=(f"AzureCloud.{cluster.region}",))
        for proto, port, name in TUNNEL_FLOWS if _label(proto, port) in labels
    )
    collection = NewCollection(f"aks-tunnel-{cluster.name}", Kind.NETWORK, rules,
                               tuple(_label(p, port) for p, port, _ in TUNNEL_FLOWS))
    return fixes_by_firewall(failing, [collection])


def _label(protocol: str, port: int) -> str:
    return f"{protocol.upper()} {port}"


CHECK = Check(
    id="tunnel-ports",
    title="The firewall allows UDP 1194 and TCP 9000 from every node subnet to the cluster's API server",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "For a public cluster (no private cluster, no API Server VNet Integration) whose node "
        "subnets egress through Azure Firewall, the firewall's rules, evaluated in processing "
        "order, allow UDP 1194 and TCP 9000 from the whole of every node subnet to the API server "
        "(a member of AzureCloud.<region>). A broad rule that allows it counts; "
        "network-rule-bypass reports its breadth."
    ),
    rationale=(
        "Nodes of a public cluster keep a tunnel open to the AKS control plane; the API server "
        "uses it for kubectl logs, exec and port-forward and to call admission webhooks and "
        "metrics. Behind a default-deny firewall, missing ports break these silently while pods "
        "keep running. Clusters whose tunnel runs over konnectivity (TCP 443 to the API server) "
        "still work without the ports, so that case is reported at low severity."
    ),
    references=(
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
        "https://learn.microsoft.com/azure/firewall/protect-azure-kubernetes-service",
    ),
    evaluate=evaluate,
)
