"""waf-in-front: every public entry to the cluster passes an App Gateway WAF in Prevention mode.

Severity: `high` when some entry passes no WAF at all (a public LoadBalancer service, a DNAT rule
straight to the cluster, a Standard_v2 gateway, a disabled WAF): HTTP attacks reach the pods
unfiltered. A DNAT straight to the cluster is no worse than a public LoadBalancer (it at least
passes the firewall's threat intelligence and logs), so it is `high`, not `critical`. `medium`
when every failing entry passes a WAF that is on but only in Detection mode: the same exposure,
but attacks are logged and the fix is one setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aksfw_tui.checks.base import (
    Change,
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.firewall.rules import Kind, Rule, ruleset_for
from aksfw_tui.model import ids
from aksfw_tui.model.ingress import ClusterIngress, Entry, EntryKind, Waf, cluster_ingress
from aksfw_tui.model.resources import AppGateway, Cluster, Firewall, WafPolicy, obj, props, text
from aksfw_tui.model.topology import Topology

V1_TIERS = ("standard", "waf")  # Application Gateway v1: no in-place move to WAF_v2


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    ingress = cluster_ingress(topology, cluster)
    evidence = _evidence(ingress)
    failing = [e for e in ingress.entries if e.waf.state not in (Waf.PREVENTION, Waf.UNKNOWN)]
    if failing:
        only_detection = all(e.waf.state is Waf.DETECTION for e in failing)
        return failed(
            f"{len(failing)} of {len(ingress.entries)} public entr"
            f"{'y' if len(ingress.entries) == 1 else 'ies'} to {cluster.name} "
            f"pass{'es' if len(failing) == 1 else ''} no WAF in Prevention mode: "
            + "; ".join(_describe(e) for e in failing),
            _remediation(topology, cluster, failing),
            Severity.MEDIUM if only_detection else None,
            **evidence,
        )
    undecided = [e.waf.detail for e in ingress.entries if e.waf.state is Waf.UNKNOWN]
    if undecided or ingress.gaps:
        return unknown("cannot tell whether every public entry passes a WAF: "
                       + "; ".join([*undecided, *ingress.gaps]), **evidence)
    if not ingress.entries:
        return not_applicable(
            f"no public entry to {cluster.name}: no public load balancer frontend with inbound "
            "rules, no public App Gateway listener and no firewall DNAT rule reaches it", **evidence)
    return passed(f"all {len(ingress.entries)} public entr"
                  f"{'y' if len(ingress.entries) == 1 else 'ies'} to {cluster.name} pass a WAF in "
                  "Prevention mode: " + "; ".join(_describe(e) for e in ingress.entries),
                  **evidence)


def _describe(entry: Entry) -> str:
    return f"{' → '.join(entry.path)} ({entry.waf.detail})"


def _evidence(ingress: ClusterIngress) -> dict[str, Any]:
    return {"entries": [e.evidence() for e in ingress.entries], "unseen": list(ingress.gaps)}


# -- remediation ---------------------------------------------------------------------------------


@dataclass
class _Fix:
    """The remediation being assembled: steps, az commands and the plan on existing resources."""

    steps: list[str] = field(default_factory=list)
    az: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    policy: tuple[str, str] | None = None  # (name, resource group) of the policy the fix uses
    gateway: AppGateway | None = None  # the gateway the snippets associate it with

    def change(self, resource_id: str, path: str, value: Any, before: Any) -> None:
        """Set `path` to `value` unless it already holds it (ARM reads these enum-like strings
        case-insensitively, so "prevention" already is "Prevention")."""
        if isinstance(value, str) and isinstance(before, str) and value.lower() == before.lower():
            return
        if value == before:
            return
        op = "add" if before is None else "replace"
        self.changes.append(Change(resource_id, op, path, value, before))


def _remediation(topology: Topology, cluster: Cluster, failing: list[Entry]) -> Remediation:
    fix = _Fix()
    # One fix per gateway and applying WAF policy: a listener's or path rule's policy is fixed on
    # its own, beside the gateway's.
    gateways: dict[tuple[str, str], tuple[AppGateway, Entry]] = {}
    for entry in failing:
        gateway = next((g for g in topology.app_gateways if g.key == ids.key(entry.gateway_id)), None)
        if gateway is not None:
            gateways.setdefault((gateway.key, ids.key(entry.waf.policy_id)), (gateway, entry))
    for gateway, entry in gateways.values():
        _gateway_fix(topology, gateway, entry, fix)
    direct = [e for e in failing if not e.gateway_id]
    target = _suggested_gateway(topology, cluster)
    for entry in direct:
        _direct_fix(topology, cluster, entry, target, fix)
    # The snippets show the policy (and gateway) the commands use; else a suggestion.
    policy_name, policy_rg = fix.policy or _policy_names(topology, cluster, failing, target)
    target = fix.gateway or target
    changes = {(c.resource_id.lower(), c.op, c.path): c for c in fix.changes}
    return Remediation(
        summary=f"Put every public entry to {cluster.name} behind an App Gateway WAF_v2 whose WAF "
                f"policy ({policy_name}) is enabled in Prevention mode",
        steps=tuple(dict.fromkeys(fix.steps)), az_cli=tuple(dict.fromkeys(fix.az)),
        bicep=_bicep(policy_name, cluster.region, target), terraform=_terraform(
            policy_name, policy_rg, cluster.region, target),
        changes=tuple(changes.values()),
    )


def _gateway_fix(topology: Topology, gateway: AppGateway, entry: Entry, fix: _Fix) -> None:
    tier = gateway.sku_tier.lower()
    policy = topology.waf_policy(entry.waf.policy_id) if entry.waf.policy_id else None
    if policy is not None and tier == "waf_v2":
        _policy_fix(policy, fix)
    elif tier == "waf_v2" and gateway.legacy_waf_enabled is not None:
        _legacy_fix(gateway, fix)
    elif tier in V1_TIERS:
        fix.steps.append(
            f"{gateway.name} is an Application Gateway v1 ({gateway.sku_tier}), which cannot be "
            "switched to WAF_v2 in place and is being retired. This is a manual migration: deploy "
            "a WAF_v2 gateway with the same listeners, rules and pools (Microsoft's v1-to-v2 "
            "migration script clones them), associate a WAF policy in Prevention mode, move DNS "
            "to the new gateway's public IP, then delete the v1 gateway.")
        _new_policy_commands(gateway, fix)
    else:
        _upgrade_fix(gateway, fix)


def _policy_fix(policy: WafPolicy, fix: _Fix) -> None:
    rg = policy.resource_group
    fix.policy = fix.policy or (policy.name, rg)
    fix.steps.append(f"Review the WAF logs of {policy.name} for false positives (add exclusions), "
                     "then switch it to Prevention: Detection only logs attacks, it does not block "
                     "them.")
    fix.az.append(f"az network application-gateway waf-policy policy-setting update "
                  f"--resource-group {rg} --policy-name {policy.name} --state Enabled "
                  "--mode Prevention")
    settings = props(policy.raw).get("policySettings")
    if not isinstance(settings, Mapping):
        fix.change(policy.id, "/properties/policySettings", {"state": "Enabled", "mode": "Prevention"},
                   None)
        return
    fix.change(policy.id, "/properties/policySettings/state", "Enabled", settings.get("state"))
    fix.change(policy.id, "/properties/policySettings/mode", "Prevention", settings.get("mode"))


def _legacy_fix(gateway: AppGateway, fix: _Fix) -> None:
    legacy = obj(props(gateway.raw).get("webApplicationFirewallConfiguration"))
    # Keep the rule set the gateway has; OWASP 3.2 only where it names none.
    rule_set = text(legacy.get("ruleSetType")) or "OWASP"
    version = text(legacy.get("ruleSetVersion")) or "3.2"
    fix.steps.append(f"Enable {gateway.name}'s WAF configuration in Prevention mode, and plan the "
                     "migration to a WAF policy (legacy WAF configuration is deprecated).")
    fix.az.append(f"az network application-gateway waf-config set --resource-group "
                  f"{gateway.resource_group} --gateway-name {gateway.name} --enabled true "
                  f"--firewall-mode Prevention --rule-set-type {rule_set} --rule-set-version {version}")
    path = "/properties/webApplicationFirewallConfiguration"
    fix.change(gateway.id, f"{path}/enabled", True, legacy.get("enabled"))
    fix.change(gateway.id, f"{path}/firewallMode", "Prevention", legacy.get("firewallMode"))
    fix.change(gateway.id, f"{path}/ruleSetType", rule_set, legacy.get("ruleSetType"))
    fix.change(gateway.id, f"{path}/ruleSetVersion", version, legacy.get("ruleSetVersion"))


def _new_policy_commands(gateway: AppGateway, fix: _Fix) -> str:
    """az for a new WAF policy in Prevention mode next to the gateway; returns its name."""
    rg, policy = gateway.resource_group, f"waf-{gateway.name}"
    fix.policy = fix.policy or (policy, rg)
    fix.az += [f"az network application-gateway waf-policy create --resource-group {rg} "
               f"--name {policy} --location {gateway.region} --type Microsoft_DefaultRuleSet "
               "--version 2.1",
               f"az network application-gateway waf-policy policy-setting update "
               f"--resource-group {rg} --policy-name {policy} --state Enabled --mode Prevention"]
    return policy


def _upgrade_fix(gateway: AppGateway, fix: _Fix) -> None:
    """A v2 gateway without a WAF: Standard_v2 moves to WAF_v2 in place, and a new WAF policy in
    Prevention mode is associated with it."""
    rg = gateway.resource_group
    if gateway.sku_tier.lower() == "waf_v2":
        fix.steps.append(f"Associate a WAF policy in Prevention mode with {gateway.name}: a WAF_v2 "
                         "gateway without a WAF policy or configuration inspects nothing.")
    else:
        fix.steps.append(f"Upgrade {gateway.name} ({gateway.sku_tier or 'no WAF'}) to WAF_v2 in "
                         "place and associate a WAF policy in Prevention mode.")
    policy = _new_policy_commands(gateway, fix)
    fix.gateway = fix.gateway or gateway
    fix.az.append(f"az network application-gateway update --resource-group {rg} --name "
                  f"{gateway.name} --set sku.name=WAF_v2 sku.tier=WAF_v2 "
                  f"firewallPolicy.id=$(az network application-gateway waf-policy show "
                  f"--resource-group {rg} --name {policy} --query id --output tsv)")
    sku = props(gateway.raw).get("sku")
    if isinstance(sku, Mapping):
        fix.change(gateway.id, "/properties/sku/name", "WAF_v2", sku.get("name"))
        fix.change(gateway.id, "/properties/sku/tier", "WAF_v2", sku.get("tier"))
    else:
        fix.change(gateway.id, "/properties/sku", {"name": "WAF_v2", "tier": "WAF_v2"}, None)
    policy_id = (f"/subscriptions/{gateway.subscription}/resourceGroups/{rg}/providers/Microsoft.Network/"
                 f"ApplicationGatewayWebApplicationFirewallPolicies/{policy}")
    current = props(gateway.raw).get("firewallPolicy")
    fix.change(gateway.id, "/properties/firewallPolicy", {"id": policy_id},
               dict(current) if isinstance(current, Mapping) else None)


def _direct_fix(topology: Topology, cluster: Cluster, entry: Entry, gateway: AppGateway | None,
                fix: _Fix) -> None:
    via = (f"App Gateway {gateway.name} (WAF_v2, Prevention)" if gateway
           else "an App Gateway WAF_v2 (or Application Gateway for Containers with WAF)")
    if entry.kind is EntryKind.LOAD_BALANCER:
        # The fix is a Kubernetes annotation: AKS owns the load balancer, nothing to patch in ARM.
        fix.steps.append(
            f"Find the LoadBalancer service behind {entry.public_ip or entry.target} (kubectl get "
            f"service --all-namespaces | grep {entry.public_ip or 'EXTERNAL-IP'}), make it internal "
            "with the annotation service.beta.kubernetes.io/azure-load-balancer-internal: \"true\", "
            f"and publish it through {via}.")
        fix.az.append(f"az aks get-credentials --resource-group {cluster.resource_group} "
                      f"--name {cluster.name}")
        return
    fix.steps.append(f"Point DNAT rule {entry.rule} at {via}'s private frontend instead of "
                     f"{entry.target}, or remove it and publish through the gateway's public "
                     "listener.")
    private = next((f.private_ip for f in gateway.frontends if f.private_ip), "") if gateway else ""
    found = _dnat_rule(topology, entry)
    if not private or found is None:
        return
    firewall, rule = found
    if rule.group:
        group_rg = ids.resource_group_of(rule.origin_id) or "<firewall-policy-rg>"
        fix.az.append("az extension add --upgrade --name azure-firewall")
        fix.az.append(f"az network firewall policy rule-collection-group collection rule "
                      f"update --resource-group {group_rg} "
                      f"--policy-name {rule.policy} --rule-collection-group-name {rule.group} "
                      f"--collection-name {rule.collection} --name {rule.name} "
                      f"--translated-address {private}")
    else:
        fix.steps.append(f"Classic rules have no az update command: edit {rule.name} in "
                         f"{firewall.name}'s NAT collection {rule.collection} (portal, or apply "
                         "the plan), keeping its translated port equal to the listener's port.")
    _repoint(topology, firewall, rule, private, fix)


def _dnat_rule(topology: Topology, entry: Entry) -> tuple[Firewall, Rule] | None:
    """The DNAT rule behind a direct DNAT entry, from its firewall's rule set (the rule may come
    from a base policy: its origin is the group that holds it)."""
    firewall = next((f for f in topology.firewalls if f.key == ids.key(entry.resource_id)), None)
    if firewall is None:
        return None
    rule = next((r for r in ruleset_for(topology, firewall).rules
                 if r.kind is Kind.DNAT and not r.gap and r.label == entry.rule), None)
    return (firewall, rule) if rule else None


def _repoint(topology: Topology, firewall: Firewall, rule: Rule, address: str, fix: _Fix) -> None:
    """The plan for a DNAT rule's new translated address, at the rule's index in the raw JSON."""
    if rule.group:
        group = topology.rule_collection_group(rule.origin_id)
        if group is None:
            return
        owner, collections, rules_key = group.id, props(group.raw).get("ruleCollections"), ""
        prefix = "/properties/ruleCollections/{c}/rules/{r}"
    else:
        owner, collections = firewall.id, props(firewall.raw).get("natRuleCollections")
        rules_key, prefix = "properties", "/properties/natRuleCollections/{c}/properties/rules/{r}"
    place = _locate(collections, rules_key, rule.collection, rule.name)
    if place is None:
        return
    c_index, r_index, raw_rule = place
    path = prefix.format(c=c_index, r=r_index)
    if "translatedFqdn" in raw_rule and "translatedAddress" not in raw_rule:
        fix.changes.append(Change(owner, "remove", f"{path}/translatedFqdn",
                                  before=raw_rule["translatedFqdn"]))
    fix.change(owner, f"{path}/translatedAddress", address, raw_rule.get("translatedAddress"))


def _locate(collections: Any, rules_key: str, collection: str,
            rule: str) -> tuple[int, int, Mapping[str, Any]] | None:
    """(collection index, rule index, raw rule) in a raw collections list; indexes count every
    array element, as JSON Pointer does. Classic collections keep their rules under properties."""
    for c_index, raw_collection in enumerate(collections if isinstance(collections, list) else []):
        if not isinstance(raw_collection, Mapping) or raw_collection.get("name") != collection:
            continue
        holder = obj(raw_collection.get(rules_key)) if rules_key else raw_collection
        raw_rules = holder.get("rules")
        for r_index, raw_rule in enumerate(raw_rules if isinstance(raw_rules, list) else []):
            if isinstance(raw_rule, Mapping) and raw_rule.get("name") == rule:
                return c_index, r_index, raw_rule
    return None


def _suggested_gateway(topology: Topology, cluster: Cluster) -> AppGateway | None:
    """A WAF_v2 gateway in one of the cluster's VNets (or a peer), to publish through."""
    vnets = {ids.key(ids.parent_of(s)) for s in topology.cluster_node_subnet_ids(cluster)}
    for gateway in topology.app_gateways:
        if gateway.sku_tier.lower() != "waf_v2" or not gateway.subnet_ids:
            continue
        vnet_key = ids.key(ids.parent_of(gateway.subnet_ids[0]))
        vnet = topology.vnet(vnet_key)
        peers = {ids.key(p.remote_vnet_id) for p in vnet.peerings} if vnet else set()
        if ({vnet_key} | peers) & vnets:
            return gateway
    return None


def _policy_names(topology: Topology, cluster: Cluster, failing: list[Entry],
                  gateway: AppGateway | None) -> tuple[str, str]:
    for entry in failing:
        if entry.waf.policy_id:
            return ids.name_of(entry.waf.policy_id), ids.resource_group_of(entry.waf.policy_id) or ""
    if gateway and gateway.waf_policy_id:
        return ids.name_of(gateway.waf_policy_id), ids.resource_group_of(gateway.waf_policy_id) or ""
    name = gateway.name if gateway else cluster.name
    return f"waf-{name}", gateway.resource_group if gateway else cluster.resource_group


def _bicep(policy: str, region: str, gateway: AppGateway | None) -> str:
    association = (f"// On App Gateway '{gateway.name}' (sku WAF_v2):\n"
                   "//   properties: { firewallPolicy: { id: wafPolicy.id } }\n" if gateway else
                   "// Associate it with your App Gateway (sku WAF_v2):\n"
                   "//   properties: { firewallPolicy: { id: wafPolicy.id } }\n")
    api = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01"
    return f"""resource wafPolicy '{api}' = {{
  name: '{policy}'
  location: '{region}'
  properties: {{
    policySettings: {{
      state: 'Enabled'
      mode: 'Prevention'
      requestBodyCheck: true
    }}
    managedRules: {{
      managedRuleSets: [
        {{
          ruleSetType: 'Microsoft_DefaultRuleSet'
          ruleSetVersion: '2.1'
        }}
      ]
    }}
  }}
}}

{association}"""


def _terraform(policy: str, rg: str, region: str, gateway: AppGateway | None) -> str:
    where = f'azurerm_application_gateway "{gateway.name}"' if gateway else "your azurerm_application_gateway"
    return f"""resource "azurerm_web_application_firewall_policy" "{policy.replace('-', '_')}" {{
  name                = "{policy}"
  resource_group_name = "{rg}"
  location            = "{region}"

  policy_settings {{
    enabled            = true
    mode               = "Prevention"
    request_body_check = true
  }}

  managed_rules {{
    managed_rule_set {{
      type    = "Microsoft_DefaultRuleSet"
      version = "2.1"
    }}
  }}
}}

# In {where}:
#   sku {{ name = "WAF_v2"  tier = "WAF_v2" }}
#   firewall_policy_id = azurerm_web_application_firewall_policy.{policy.replace('-', '_')}.id
"""


CHECK = Check(
    id="waf-in-front",
    title="Every public entry to the cluster passes an App Gateway WAF in Prevention mode",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "every public entry to the cluster (a public load balancer frontend with inbound rules, a "
        "public App Gateway listener routed to the cluster, a firewall DNAT rule to the cluster's "
        "addresses) passes an App Gateway WAF_v2 whose applying WAF policy (path rule's, else "
        "listener's, else gateway's) or legacy WAF configuration is enabled in Prevention mode."
    ),
    rationale=(
        "Azure Firewall filters by address, port and FQDN; it does not inspect HTTP requests for "
        "injection, traversal or protocol abuse, and its threat intelligence only blocks known-bad "
        "addresses. Only a web application firewall blocks those attacks, and only in Prevention "
        "mode: Detection logs them and lets them through. A public LoadBalancer service or a DNAT "
        "rule to the cluster skips the WAF entirely."
    ),
    references=(
        "https://learn.microsoft.com/azure/architecture/reference-architectures/containers/aks/baseline-aks",
        "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
        "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    ),
    evaluate=evaluate,
)
