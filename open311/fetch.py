"""Fetch the photo behind an Open311 `media_url` without letting the URL reach inside our network.

A client's URL is untrusted: it may name a private or loopback address (the metadata service,
Redis, the admin), redirect there after a harmless first hop, trickle bytes forever, or send
gigabytes. So: http/https only; the host is resolved once and every address it resolves to must
be public (OPEN311_MEDIA_ALLOWED_NETWORKS may allow some, for tests); we connect to the address
we checked (no second look-up an attacker could answer differently); connect and read timeouts
plus an overall deadline; the size is capped before the body is read in full; redirects are
followed by hand, at most MAX_REDIRECTS, each hop checked again. The content itself is checked
later by reports.photos.process_photo like any upload.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from config.ids import parse_id

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
USER_AGENT = "Segnala-Open311/1 (+media_url fetcher)"


class MediaRefused(ValueError):
    """The media_url cannot be used; str(err) is a translated message for the client."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    connect_timeout_s: float
    read_timeout_s: float
    total_timeout_s: float


def limits_from_settings() -> Limits:
    return Limits(
        max_bytes=settings.PHOTO_MAX_BYTES,
        connect_timeout_s=settings.OPEN311_MEDIA_CONNECT_TIMEOUT_S,
        read_timeout_s=settings.OPEN311_MEDIA_READ_TIMEOUT_S,
        total_timeout_s=settings.OPEN311_MEDIA_TOTAL_TIMEOUT_S,
    )


def fetch_media(url: str, limits: Limits | None = None) -> bytes:
    """Download the body at `url` (an image, checked later), or raise MediaRefused."""
    limits = limits or limits_from_settings()
    deadline = time.monotonic() + limits.total_timeout_s
    for _hop in range(MAX_REDIRECTS + 1):
        status, location, body = _get_once(url, limits, deadline)
        if status in (301, 302, 303, 307, 308):
            if not location:
                raise MediaRefused(_("media_url redirected without saying where."))
            url = urljoin(url, location)
            continue
        if status != 200:
            raise MediaRefused(
                _("media_url could not be fetched: the server answered %(status)s.")
                % {"status": status}
            )
        return body
    raise MediaRefused(_("media_url redirected too many times."))


def allowed_address(address: str) -> bool:
    """Tell whether we may connect to this IP address: public, or in an allowed network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    allowed = [ipaddress.ip_network(n) for n in settings.OPEN311_MEDIA_ALLOWED_NETWORKS]
    if any(ip in network for network in allowed):
        return True
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise MediaRefused(_("media_url names a host that does not exist.")) from None
    addresses = [str(info[4][0]) for info in infos]
    # Every answer must be acceptable, not just the first: the connection must not depend on
    # which record a resolver happens to list first.
    if not addresses or not all(allowed_address(a) for a in addresses):
        raise MediaRefused(_("media_url points to a private or local address."))
    return addresses[0]


def _get_once(url: str, limits: Limits, deadline: float) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise MediaRefused(_("media_url must be an http or https address."))
    host = parts.hostname
    if not host or parts.username or parts.password:
        raise MediaRefused(_("media_url must be a plain http or https address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise MediaRefused(_("media_url must be a plain http or https address.")) from None
    address = _resolve(host, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        sock = socket.create_connection(
            (address, port), timeout=min(limits.connect_timeout_s, _left(deadline))
        )
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.settimeout(min(limits.read_timeout_s, _left(deadline)))
        connection = http.client.HTTPConnection(host, port)
        connection.sock = sock  # already connected to the checked address: no second look-up
        try:
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
            response = connection.getresponse()
            location = response.getheader("Location", "")
            if response.status != 200:
                return response.status, location, b""
            return 200, "", _read_capped(response, limits, deadline)
        finally:
            connection.close()
    except MediaRefused:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise MediaRefused(
            _("media_url could not be fetched: %(error)s") % {"error": type(exc).__name__}
        ) from None


def _read_capped(response: http.client.HTTPResponse, limits: Limits, deadline: float) -> bytes:
    too_large = _("The photo at media_url is larger than %(mb)s MB.") % {
        "mb": f"{limits.max_bytes / 1024 / 1024:.3g}"
    }
    declared = response.getheader("Content-Length")
    size = parse_id(declared)
    if size is not None and size > limits.max_bytes:
        raise MediaRefused(too_large)
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise MediaRefused(_("media_url took too long to download."))
        chunk = response.read1(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.max_bytes:
            raise MediaRefused(too_large)
        chunks.append(chunk)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise MediaRefused(_("media_url took too long to download."))
    return left
