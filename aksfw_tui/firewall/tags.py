"""What offline evaluation may assume about FQDN tags and service tags.

FQDN tags are Microsoft-maintained lists; we bundle the members of `AzureKubernetesService` that
Microsoft's AKS outbound-rules page documents, so a flow to `mcr.microsoft.com` is known to be a
member. Service-tag contents (IP ranges) are never assumed: membership is only known for symbolic
destinations such as "the API server of cluster C" (in `AzureCloud.<region>`).
"""

from __future__ import annotations

import fnmatch

AKS_FQDN_TAG = "azurekubernetesservice"

FQDN_TAG_MEMBERS: dict[str, tuple[str, ...]] = {
    AKS_FQDN_TAG: (
        "*.hcp.*.azmk8s.io",
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
        "mcr-0001.mcr-msedge.net",
        "management.azure.com",
        "login.microsoftonline.com",
        "packages.microsoft.com",
        "acs-mirror.azureedge.net",
        "packages.aks.azure.com",
    ),
}


def fqdn_matches(pattern: str, fqdn: str) -> bool:
    """Azure Firewall target-FQDN matching: exact, `*` for all, `*.x.com` for any subdomain (not
    the apex), `*x.com` for anything ending in `x.com` (apex included). Tag members may carry a
    second `*` (`*.hcp.*.azmk8s.io`), matched as a glob."""
    pattern, fqdn = pattern.strip().lower().rstrip("."), fqdn.strip().lower().rstrip(".")
    if pattern == "*" or pattern == fqdn:
        return True
    if pattern.startswith("*.") and "*" not in pattern[1:]:
        return fqdn.endswith(pattern[1:])
    if "*" in pattern:
        return fnmatch.fnmatchcase(fqdn, pattern)
    return False


def fqdn_tags_of(fqdn: str) -> frozenset[str]:
    """The FQDN tags (lower-case) that list this FQDN."""
    return frozenset(
        tag
        for tag, members in FQDN_TAG_MEMBERS.items()
        if any(fqdn_matches(member, fqdn) for member in members)
    )
