"""Who is signing in, for the sign-in throttle (perr_model/throttle.py): the client's address.

Streamlit gives the address of the direct peer (`st.context.ip_address`, None for a loopback
peer). Behind a reverse proxy that peer is the proxy, the same for every visitor: the address
of the visitor is then the one the proxy adds to `X-Forwarded-For`, to be believed only from a
proxy declared in PERR_TRUSTED_PROXIES (addresses or networks, comma-separated; docs/auth.md).
Anybody can write that header, so it is read from the right (the entries the declared proxies
added) and the first address not declared is the client. Without a declared proxy the client is
the direct peer; None when it is not known (then no per-client count: see throttle.py).

An IPv6 client counts as its /64 network (one machine usually holds a whole /64).
"""
from __future__ import annotations

import ipaddress
import logging

from . import settings

log = logging.getLogger(__name__)
_LOOPBACK = "127.0.0.1"  # what Streamlit's None stands for when a connection exists


def trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in settings.get("PERR_TRUSTED_PROXIES").split(","):
        if item.strip():
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
    return nets


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, nets) -> bool:  # noqa: ANN001 - an ip_address
    return any(address.version == net.version and address in net for net in nets)


def bucket(address) -> str:  # noqa: ANN001 - an ip_address
    """The name a client is counted under: the address, or its /64 for IPv6."""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_from(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address from the direct peer (None: loopback, as Streamlit says it) and
    the `X-Forwarded-For` header, believed from declared proxies only."""
    nets = trusted_proxies()
    peer_address = _address(peer or _LOOPBACK)
    if peer_address is None:
        return None
    if not _trusted(peer_address, nets):
        if forwarded_for and (peer is None or peer_address.is_private):
            log.warning("En-tête X-Forwarded-For reçu d'un mandataire non déclaré (%s) : "
                        "déclarez-le dans PERR_TRUSTED_PROXIES.", peer_address)
        return bucket(peer_address) if peer else None
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None  # not an address where a declared proxy writes one: unknown
        if not _trusted(address, nets):
            return bucket(address)
        peer_address = address
    return bucket(peer_address) if peer or hops else None
