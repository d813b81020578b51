"""What the review server exposes, and the headers every response carries.

- `SecurityHeaders`: an ASGI middleware that gives every response the app sends without its own
  policy (static files, Starlette's plain 404s, redirects) the same `Content-Security-Policy`,
  `X-Content-Type-Options: nosniff`, `X-Frame-Options` and `Referrer-Policy` the pages carry.
  Headers a handler set itself are left as they are (the admin pages' CSP differs).
- `listen_urls` / `exposure_warning`: the addresses `lugha review serve --host H` really listens
  on, and the warning printed when that is more than this machine.
"""

from __future__ import annotations

import ipaddress
import socket

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, csp: str):
        self.app = app
        self.defaults = [(k.encode("latin-1"), v.encode("latin-1"))
                         for k, v in {"content-security-policy": csp, **BASE_HEADERS}.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.defaults if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(csp: str) -> Middleware:
    """`Starlette(..., middleware=[security_headers(CSP)])`."""
    return Middleware(SecurityHeaders, csp=csp)


# ---- what --host exposes ----------------------------------------------------------------------

def _host_addresses(host: str) -> list[str]:
    """The IP addresses a bind to `host` covers."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and not ip.is_unspecified:
        return [str(ip)]
    if ip is None and host:  # a name: what it resolves to
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return [host]
        return list(dict.fromkeys(i[4][0] for i in infos))
    # 0.0.0.0 / :: / "": every interface of this machine
    family = socket.AF_INET6 if ip is not None and ip.version == 6 else socket.AF_INET
    found: list[str] = []
    try:
        import psutil

        for addrs in psutil.net_if_addrs().values():
            found += [a.address.split("%")[0] for a in addrs if a.family == family]
    except ImportError:  # without psutil: what the host name resolves to, plus loopback
        found = ["127.0.0.1" if family == socket.AF_INET else "::1"]
        try:
            found += [i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, family)]
        except OSError:
            pass
    return sorted(dict.fromkeys(found), key=lambda a: (not ipaddress.ip_address(a).is_loopback, a))


def listen_urls(host: str, port: int) -> list[str]:
    """http://ADDRESS:PORT for every address the server is reachable at, loopback first."""
    out = []
    for a in _host_addresses(host):
        try:
            v6 = ipaddress.ip_address(a).version == 6
        except ValueError:
            v6 = False
        out.append(f"http://[{a}]:{port}" if v6 else f"http://{a}:{port}")
    return out


def is_local_only(host: str) -> bool:
    """True when every address `host` binds is a loopback address (only this machine can connect)."""
    addrs = _host_addresses(host)
    try:
        return bool(addrs) and all(ipaddress.ip_address(a).is_loopback for a in addrs)
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The warning for a bind other machines can reach; None for loopback."""
    if is_local_only(host):
        return None
    return (f"warning: --host {host} makes this review project reachable from the network: anyone who can "
            f"reach this machine on port {port} can open the app, and a reviewer or admin link is the only "
            "thing that protects the labels and the corpus text. Traffic is plain HTTP (not encrypted). "
            "Use the default --host 127.0.0.1 unless reviewers work on other machines, and then only on a "
            "network you trust.")
