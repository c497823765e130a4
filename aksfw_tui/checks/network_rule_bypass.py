"""network-rule-bypass: no Allow network rule lets HTTP(S) from the node subnets to broad
destinations through before application rules (FQDN filtering) are consulted.

Azure Firewall processes network rules before application rules, and a matching network rule ends
processing. So an Allow network rule for TCP 80/443 from the nodes to `*`, `Internet` or a /8
(`high`: the whole internet, unfiltered) or to `AzureCloud[.<region>]` (`medium`: every Azure
endpoint, anyone's storage account included) makes the FQDN filtering of application rules moot
for that traffic. A rule counts unless Deny network rules processed before it already cover its
sources for that port and destination; a Deny that cannot be read (an unreadable group or IP
group) does not excuse a seen rule, but is named.

The fix moves that HTTP(S) to an Allow application collection for the FQDNs the workloads need
(`remediation.app_collection`, placed next to the bypassing rule), and takes 80/443 out of the
network rule or removes it (`remediation.firewall_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aksfw_tui.checks.base import (
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    passed,
    unknown,
)
from aksfw_tui.checks.node_egress import Scope, by_firewall, firewall_scopes
from aksfw_tui.firewall.addresses import PRIVATE, AddressSet, parse_address
from aksfw_tui.firewall.rules import Action, Kind, PortSet, Rule, RuleSet, ruleset_for
from aksfw_tui.model.resources import Cluster, Firewall
from aksfw_tui.model.topology import Topology
from aksfw_tui.remediation.app_collection import Placement, placement_near, web_rule, write_app_collection
from aksfw_tui.remediation.firewall_rules import (
    policy_of,
    port_specs,
    property_change,
    recreate_network_rule_commands,
    removal,
    remove_command,
    rule_at,
    update_command,
    with_collection,
)
from aksfw_tui.remediation.plan import Draft

WEB_PORTS = (80, 443)
SLASH_8 = 2**24
PUBLIC = AddressSet.everything() - PRIVATE


@dataclass(frozen=True)
class Exposure:
    """A broad destination of an Allow network rule, and how bad letting HTTP(S) through to it is."""

    label: str
    severity: Severity
    kind: str  # addresses | internet | azurecloud
    addresses: AddressSet = field(default_factory=AddressSet)  # public part, for `addresses`
    tag: str = ""  # lower-case service tag, for `azurecloud`


@dataclass
class Hit:
    """One bypassing rule towards one broad destination, from some node addresses on some ports."""

    firewall: Firewall
    rule: Rule
    exposure: Exposure
    ports: list[int]
    sources: AddressSet
    subnets: list[str]
    bypassed: list[str]  # application rules that never see this traffic
    unread_denies: list[str]


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    scopes = firewall_scopes(topology, cluster)
    if isinstance(scopes, Result):
        return scopes
    hits: list[Hit] = []
    doubts: list[str] = []
    considered: list[str] = []
    for group in by_firewall(scopes, lambda s: s.firewall):
        _examine(topology, group, hits, doubts, considered)
    evidence: dict[str, Any] = {
        "node_subnets": [{"subnet": s.subnet.id, "cidrs": str(s.nodes), "firewall": s.firewall.id}
                         for s in scopes],
        "bypassing_rules": [_hit_evidence(h) for h in hits],
        "narrow_http_network_rules": considered,
        "undecided": list(dict.fromkeys(doubts)),
    }
    if hits:
        worst = max(hits, key=lambda h: h.exposure.severity.rank).exposure.severity
        return failed("; ".join(_describe(h, cluster) for h in hits),
                      _remediation(topology, cluster, hits), worst, **evidence)
    if doubts:
        return unknown("cannot tell whether a network rule lets HTTP(S) from the node subnets bypass "
                       "application rules: " + "; ".join(dict.fromkeys(doubts)), **evidence)
    names = ", ".join(dict.fromkeys(s.firewall.name for s in scopes))
    return passed(f"no Allow network rule on {names} lets TCP 80 or 443 from "
                  f"{', '.join(s.label for s in scopes)} to *, Internet, a /8 or wider, or "
                  "AzureCloud through before a Deny: HTTP(S) egress is left to application rules",
                  **evidence)


# -- finding the rules ----------------------------------------------------------------------------


def _examine(topology: Topology, scopes: list[Scope], hits: list[Hit], doubts: list[str],
             considered: list[str]) -> None:
    firewall = scopes[0].firewall
    ruleset = ruleset_for(topology, firewall)
    nodes = AddressSet.of(span for s in scopes for span in s.nodes.intervals)
    doubts.extend(f"node subnet {s.subnet.name} has no IPv4 prefix in the export"
                  for s in scopes if not s.nodes)
    found = len(hits)
    for index, rule in enumerate(ruleset.rules):
        ports = _web_ports(rule)
        if not ports:
            continue
        reach = rule.sources & nodes
        exposures = _exposures(rule)
        if rule.sources_unknown and not reach and (exposures or rule.destinations_unknown):
            doubts.append(f"{rule.label} allows TCP {_ports(ports)} from sources that reference "
                          f"{rule.sources_unknown}")
            continue
        if not reach:
            continue
        if not exposures:
            if rule.destinations_unknown:
                doubts.append(f"{rule.label} allows TCP {_ports(ports)} from {reach} to destinations "
                              f"that reference {rule.destinations_unknown}")
            else:
                considered.append(f"{rule.label} → {', '.join(rule.destinations + rule.destination_fqdns)}")
            continue
        for exposure in exposures:
            hit = _reached(ruleset, index, rule, exposure, ports, reach, scopes)
            if hit is not None:
                hits.append(hit)
    if len(hits) == found:
        gaps = [r.gap for r in ruleset.rules if r.gap and r.kind is Kind.NETWORK]
        doubts.extend(dict.fromkeys(gaps))


def _web_ports(rule: Rule) -> list[int]:
    """TCP 80/443 ports an Allow network rule matches."""
    if rule.gap or rule.kind is not Kind.NETWORK or rule.action is not Action.ALLOW:
        return []
    if not rule.protocols & {"tcp", "any"}:
        return []
    return [port for port in WEB_PORTS if port in rule.ports]


def _exposures(rule: Rule) -> list[Exposure]:
    out: list[Exposure] = []
    addresses = rule.destination_set
    if addresses.size() >= SLASH_8 and addresses - PRIVATE:  # a private /8 is not the internet
        if "*" in rule.destinations:
            label = "*"
        else:
            label = ", ".join(d for d in rule.destinations if parse_address(d) is not None)
            label = f"{label or 'its IP groups'} ({addresses.size():,} addresses)"
        out.append(Exposure(label, Severity.HIGH, "addresses", addresses - PRIVATE))
    for tag in rule.destination_tags:
        lowered = tag.lower()
        if lowered == "internet":
            out.append(Exposure(tag, Severity.HIGH, "internet"))
        elif lowered == "azurecloud" or lowered.startswith("azurecloud."):
            out.append(Exposure(tag, Severity.MEDIUM, "azurecloud", tag=lowered))
    return out


def _reached(ruleset: RuleSet, index: int, rule: Rule, exposure: Exposure, ports: list[int],
             reach: AddressSet, scopes: list[Scope]) -> Hit | None:
    """The part of `reach` for which no earlier Deny network rule already stops this traffic."""
    open_ports: list[int] = []
    sources = AddressSet()
    unread: list[str] = []
    for port in ports:
        remaining = reach
        for earlier in ruleset.rules[:index]:
            if earlier.kind is not Kind.NETWORK:
                continue
            if earlier.gap:
                unread.append(earlier.gap)
                continue
            if (earlier.action is not Action.DENY or not earlier.protocols & {"tcp", "any"}
                    or port not in earlier.ports):
                continue
            covers = _covers(earlier, exposure)
            unsure = (earlier.sources_unknown if covers
                      else earlier.destinations_unknown if earlier.sources & remaining else "")
            if unsure:  # it might stop more of the traffic than the readable part shows
                unread.append(f"{earlier.label} references {unsure}")
            if covers:
                remaining = remaining - earlier.sources
        if remaining:
            open_ports.append(port)
            sources = sources | remaining
    if not open_ports:
        return None
    bypassed = [r.label for r in ruleset.rules if r.kind is Kind.APPLICATION and not r.gap
                and r.sources & sources and any(p in open_ports for _, p in r.app_protocols)]
    return Hit(ruleset.firewall, rule, exposure, open_ports, sources,
               [s.subnet.name for s in scopes if s.nodes & sources], bypassed,
               list(dict.fromkeys(unread)))


def _covers(deny: Rule, exposure: Exposure) -> bool:
    """Whether a Deny rule's destinations include all of the exposure (known offline)."""
    denied = deny.destination_set
    tags = {t.lower() for t in deny.destination_tags}
    if denied.covers(PUBLIC) or "internet" in tags:
        return True  # every exposure here is public address space
    if exposure.kind == "addresses":
        return denied.covers(exposure.addresses)
    if exposure.kind == "azurecloud":
        return exposure.tag in tags or ("azurecloud" in tags and exposure.tag.startswith("azurecloud."))
    return False


def _ports(ports: list[int]) -> str:
    return "/".join(str(p) for p in ports)


def _describe(hit: Hit, cluster: Cluster) -> str:
    exposure = hit.exposure
    head = (f"network rule {hit.rule.label} (Allow) matches TCP {_ports(hit.ports)} from "
            f"{hit.sources} ({', '.join(hit.subnets)}) to {exposure.label} before any Deny, so "
            f"application rules ({', '.join(hit.bypassed[:3]) or 'FQDN filtering'}) never see it")
    if exposure.kind == "azurecloud":
        region = exposure.tag.partition(".")[2] or "every region"
        tail = (f": every Azure-hosted endpoint in {region}, anyone's storage account included, "
                "becomes an exfiltration path")
    elif exposure.kind == "internet" or exposure.label == "*":
        tail = ": the nodes reach any internet host over HTTP(S), unfiltered"
    else:
        tail = ": every public host in that range is reachable over HTTP(S), unfiltered"
    caveat = (f" (unless {'; '.join(hit.unread_denies)} denies it first, which could not be read)"
              if hit.unread_denies else "")
    return head + tail + caveat


def _hit_evidence(hit: Hit) -> dict[str, Any]:
    return {**hit.rule.evidence(), "label": hit.rule.label, "firewall": hit.firewall.id,
            "ports": hit.ports, "destination": hit.exposure.label,
            "severity": hit.exposure.severity.value, "node_sources": str(hit.sources),
            "subnets": hit.subnets, "bypassed_application_rules": hit.bypassed,
            "unreadable_earlier_denies": hit.unread_denies}


# -- remediation ----------------------------------------------------------------------------------


def _remediation(topology: Topology, cluster: Cluster, hits: list[Hit]) -> Remediation:
    draft = Draft(steps=[
        f"Find out what the nodes really reach through these rules: query the firewall's "
        f"AZFWNetworkRule log for {', '.join(dict.fromkeys(h.rule.name for h in hits))} over a "
        "few weeks and list the destination FQDNs (SNI) and addresses.",
        f"Make sure fqdn-tag-rule passes for {cluster.name} first: AKS's own HTTPS then goes "
        "through the AzureKubernetesService FQDN tag rule, not through these network rules."],
        az=["az extension add --upgrade --name azure-firewall"])
    for placement, sources in _web_collection_places(topology, cluster, hits):
        _add_web_collection(placement, sources.cidrs(), draft)
    fixed: set[Rule] = set()
    for hit in hits:
        if hit.rule not in fixed:  # one rule can bypass towards several broad destinations
            fixed.add(hit.rule)
            _fix_rule(topology, hit.firewall, hit.rule, draft)
    draft.steps.append("Re-run the audit: HTTP(S) from the node subnets must reach the application rules.")
    return draft.remediation(f"Stop network rules from letting HTTP(S) from {cluster.name}'s nodes bypass "
                             "FQDN filtering: narrow or remove them and allow the needed FQDNs with "
                             "application rules")


def _web_collection_places(topology: Topology, cluster: Cluster,
                           hits: list[Hit]) -> list[tuple[Placement, AddressSet]]:
    """One application collection per place (group or classic firewall), for the sources of every
    rule that lands there: two collections with the same name and priority would clash."""
    places: dict[tuple[str, str, str], tuple[Placement, AddressSet]] = {}
    for hit in hits:
        placement = placement_near(topology, ruleset_for(topology, hit.firewall), hit.rule,
                                   "workload-web", cluster.name)
        key = (hit.firewall.key, placement.policy_id.lower(), placement.group.lower())
        first, sources = places.get(key, (placement, AddressSet()))
        places[key] = (first, sources | hit.sources)
    return list(places.values())


def _add_web_collection(placement: Placement, sources: list[str], draft: Draft) -> None:
    """The application collection that takes over the HTTP(S) the network rules carried."""
    draft.steps.append(f"Add an Allow application rule collection {placement.collection} for HTTPS 443 "
                       f"and HTTP 80 from {', '.join(sources)} to exactly those FQDNs.")
    # The placeholder is in the plan too: the diff shows where the FQDNs go, and it must be filled in.
    write_app_collection(draft, placement, sources,
                         web_rule("workload-web", fqdns=("<fqdn-your-workloads-need>",)))


def _fix_rule(topology: Topology, firewall: Firewall, rule: Rule, draft: Draft) -> None:
    """Take 80 and 443 out of the bypassing rule, or remove it when it carries nothing else."""
    ruleset = ruleset_for(topology, firewall)
    kept = port_specs(_without_web(rule.ports).ranges)
    at = rule_at(topology, ruleset, rule)
    if kept:
        draft.steps.append(f"Narrow {rule.label} to destination ports {', '.join(kept)} (drop 80 and "
                           "443) so HTTP(S) reaches the application rules.")
        draft.az.extend(_narrow_commands(topology, ruleset, rule, kept))
        change = property_change(at, "destinationPorts", kept) if at is not None else None
        draft.changes.extend([change] if change is not None else [])
    else:
        draft.steps.append(f"Remove {rule.label}{with_collection(topology, ruleset, rule)}: it only "
                           "carries HTTP(S), which the application rules now allow by name.")
        draft.az.append(remove_command(topology, ruleset, rule))
        draft.changes.extend(removal(at))
    draft.bicep.append(_rule_bicep(rule, kept))
    draft.terraform.append(_rule_terraform(rule, kept))


def _without_web(ports: PortSet) -> PortSet:
    spans: list[tuple[int, int]] = []
    for low, high in ports.ranges:
        cursor = max(low, 1)
        for web in WEB_PORTS:
            if cursor <= web <= high:
                if cursor < web:
                    spans.append((cursor, web - 1))
                cursor = web + 1
        if cursor <= high:
            spans.append((cursor, high))
    return PortSet(tuple(spans))


def _narrow_commands(topology: Topology, ruleset: RuleSet, rule: Rule, kept: list[str]) -> list[str]:
    policy = policy_of(topology, rule)
    if policy is not None:
        return [update_command(policy, rule, f"--destination-ports {' '.join(kept)}")]
    return recreate_network_rule_commands(topology, ruleset, rule, rule.sources.cidrs(), kept)


def _where(rule: Rule) -> str:
    if rule.group:
        return (f"firewall policy '{rule.policy}', rule collection group '{rule.group}', "
                f"collection '{rule.collection}'")
    return f"firewall '{rule.policy}' (classic rules), collection '{rule.collection}'"


def _rule_bicep(rule: Rule, kept: list[str]) -> str:
    if not kept:
        return f"// In {_where(rule)}: delete rule '{rule.name}'.\n"
    quoted = ", ".join(f"'{p}'" for p in kept)
    return f"// In {_where(rule)}, rule '{rule.name}':\n//   destinationPorts: [ {quoted} ]\n"


def _rule_terraform(rule: Rule, kept: list[str]) -> str:
    if not kept:
        return f"# In {_where(rule)}: delete the rule block \"{rule.name}\".\n"
    quoted = ", ".join(f'"{p}"' for p in kept)
    return f"# In {_where(rule)}, rule \"{rule.name}\":\n#   destination_ports = [{quoted}]\n"


CHECK = Check(
    id="network-rule-bypass",
    title="No Allow network rule lets HTTP(S) from the nodes to broad destinations bypass FQDN "
          "filtering",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "on the firewall the node subnets route to, no Allow network rule matching TCP 80 or 443 "
        "from sources overlapping a node subnet to *, Internet, a CIDR of /8 or wider (high) or "
        "AzureCloud / AzureCloud.<region> (medium) is reached before Deny network rules that "
        "cover it for those sources."
    ),
    rationale=(
        "Azure Firewall evaluates network rules before application rules and stops at the first "
        "match, so a broad Allow network rule for ports 80/443 silently takes HTTP(S) away from the "
        "FQDN-filtering application rules. To the whole internet that leaves egress unfiltered; to "
        "AzureCloud it lets a compromised pod upload to any storage account or service hosted in "
        "Azure, including an attacker's own."
    ),
    references=(
        "https://learn.microsoft.com/azure/firewall/rule-processing",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
        "https://learn.microsoft.com/azure/firewall/service-tags",
    ),
    evaluate=evaluate,
)
