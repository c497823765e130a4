"""Sets of IPv4 addresses as sorted, merged intervals: rule sources, destinations, subnets."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

FULL = (0, 2**32 - 1)


@dataclass(frozen=True)
class AddressSet:
    """An immutable set of IPv4 addresses; `intervals` are inclusive, sorted and disjoint."""

    intervals: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def of(spans: Iterable[tuple[int, int]]) -> AddressSet:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return AddressSet(tuple((s, e) for s, e in merged))

    @staticmethod
    def everything() -> AddressSet:
        return AddressSet((FULL,))

    @staticmethod
    def of_networks(networks: Iterable[ipaddress.IPv4Network]) -> AddressSet:
        return AddressSet.of(
            (int(n.network_address), int(n.broadcast_address)) for n in networks
        )

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def __and__(self, other: AddressSet) -> AddressSet:
        out, i, j = [], 0, 0
        a, b = self.intervals, other.intervals
        while i < len(a) and j < len(b):
            start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if start <= end:
                out.append((start, end))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return AddressSet(tuple(out))

    def __sub__(self, other: AddressSet) -> AddressSet:
        out: list[tuple[int, int]] = []
        for start, end in self.intervals:
            cursor = start
            for o_start, o_end in other.intervals:
                if o_end < cursor or o_start > end:
                    continue
                if o_start > cursor:
                    out.append((cursor, o_start - 1))
                cursor = max(cursor, o_end + 1)
                if cursor > end:
                    break
            if cursor <= end:
                out.append((cursor, end))
        return AddressSet(tuple(out))

    def __or__(self, other: AddressSet) -> AddressSet:
        return AddressSet.of([*self.intervals, *other.intervals])

    def covers(self, other: AddressSet) -> bool:
        return not (other - self)

    def contains_ip(self, ip: ipaddress.IPv4Address) -> bool:
        value = int(ip)
        return any(start <= value <= end for start, end in self.intervals)

    def size(self) -> int:
        return sum(end - start + 1 for start, end in self.intervals)

    def cidrs(self) -> list[str]:
        """The set as CIDR strings, for evidence and messages."""
        out: list[str] = []
        for start, end in self.intervals:
            out.extend(
                str(n)
                for n in ipaddress.summarize_address_range(
                    ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)
                )
            )
        return out

    def __str__(self) -> str:
        return ", ".join(self.cidrs()) or "(none)"


def parse_address(spec: str) -> AddressSet | None:
    """`*`, an IPv4 address, CIDR or `a-b` range → AddressSet; None when it is not an address
    (a service tag, an FQDN, IPv6)."""
    value = spec.strip()
    if value == "*":
        return AddressSet.everything()
    try:
        if "-" in value:
            first, last = (ipaddress.IPv4Address(v.strip()) for v in value.split("-", 1))
            return AddressSet.of([(int(first), int(last))])
        net = ipaddress.IPv4Network(value, strict=False)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        return None
    return AddressSet.of_networks([net])


PRIVATE = AddressSet.of_networks(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
              "169.254.0.0/16")
)
