"""The benchmark's lab: a wildcard zone on BIND and a wildcard certificate on nginx, in namespaces.

Topology (nothing outside the two namespaces is touched: no host route, no host firewall)::

    ipv6bench-<pid>-cli                     ipv6bench-<pid>-srv
    cli0 192.0.2.2/24   <--- veth --->  srv0 192.0.2.1/24, 2001:db8::1/64  named (authoritative)
         2001:db8::2/64                      192.0.2.100..,  2001:db8::1:0..  nginx (80 + 443)
    the measured clients run here

Host names are ``h<i>.g<i mod G>.bench.example``. The zone holds one wildcard pair per
group, ``*.g<k>.bench.example`` -> A 192.0.2.<100+k>, AAAA 2001:db8::1:<k>, so every name
is answered by BIND's wildcard synthesis, and consecutive hosts land on different
addresses. Why groups and not one ``*.bench.example``: ipv6scan is polite by design (at
most 4 connections at once to one address, across the whole scan); thousands of names
on one address pair would measure that politeness cap, not the client's cost. nginx
listens on the wildcard addresses and serves every name with its group's certificate, whose
only name is the wildcard ``*.g<k>.bench.example`` of its group (a server block per
group, chosen by SNI), issued by a lab CA (``_LabCA``).

Files: ``/tmp/ipv6bench-<pid>/`` (nginx config, certificates, pages, logs) and
``/var/cache/bind/ipv6bench-<pid>/`` (BIND: Debian's AppArmor profile for named only lets
it read and write there). ``/etc/netns/<client-ns>/resolv.conf`` points the client
namespace's stub resolver (curl, sslyze, getaddrinfo) at the lab BIND. ``down()`` kills
every process in both namespaces, deletes them and removes every file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PREFIX = "ipv6bench"
DOMAIN = "bench.example"
DNS_V4, DNS_V6 = "192.0.2.1", "2001:db8::1"
CLIENT_V4, CLIENT_V6 = "192.0.2.2", "2001:db8::2"
ALLOW_SPECIAL = ["192.0.2.0/24", "2001:db8::/32"]
DEFAULT_GROUPS = 100  # address pairs; 192.0.2.100 .. 192.0.2.199

BINARIES = {"ip": "iproute2", "named": "bind9", "nginx": "nginx", "nft": "nftables"}  # nft: the --mixed population

# A page of a realistic small size (about 2 KiB), the same on both families.
PAGE = (
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bench portal</title></head>\n<body>\n"
    "<h1>Bench portal</h1>\n"
    + "".join(f"<p>Paragraph {i}: the quick brown fox jumps over the lazy dog, over IPv4 and IPv6 alike.</p>\n"
              for i in range(24))
    + "</body></html>\n"
)


# --page-deps: the same page, also loading what a real portal loads from elsewhere. Its own stylesheet
# (read per host), a script and an image from two CDN hosts that every page shares (probed once per scan),
# and in the stylesheet a font from a third shared host. The wildcards answer for them and the group
# certificates cover them (``*.g<k>``).
DEPS_PAGE = PAGE.replace(
    "</title></head>",
    '</title>\n<link rel="stylesheet" href="/site.css">\n<script src="https://cdn.g0.bench.example/app.js"></script>'
    "\n</head>",
).replace("<h1>Bench portal</h1>", '<h1>Bench portal</h1>\n<img src="https://img.g1.bench.example/logo.png" alt="">')
DEPS_FILES = {
    "site.css": "body { font-family: Lab; background: url(/bg.png) }\n"
                "@font-face { font-family: Lab; src: url(https://fonts.g2.bench.example/lab.woff2) }\n",
    "app.js": "/* a script */\n", "logo.png": "png", "lab.woff2": "woff2", "bg.png": "png",
}


class LabUnavailable(Exception):
    """The lab cannot run on this machine (not root, no namespaces, software missing)."""


class LabError(Exception):
    """Bringing the lab up failed; the message says which step and why."""


def host_name(i: int, groups: int) -> str:
    return f"h{i}.g{i % groups}.{DOMAIN}"


# ---------------------------------------------------------------- the mixed population (issue 16)
# Per 100 hosts of a mixed list: 20 whose AAAA is one of MIXED_ADDRESSES shared black holes (nftables drops their
# TCP: real connect timeouts), 5 whose IPv6 answers LATE_S late (a relay, bench/delay_proxy.py), 2 whose IPv6 port
# refuses (TCP reset); the other 73, and every A record, as the healthy list.
MIXED_ADDRESSES = 10
LATE_S = 1.5
MIXED_KINDS = (("dead", 20), ("late", 5), ("refuse", 2))  # kind, hosts per 100
_MIXED_V6 = {"dead": "d", "late": "f", "refuse": "e"}  # 2001:db8::<x>:<j>
DELAY_PORTS = {80: 18080, 443: 18443}  # where nftables sends the late addresses' ports: the relay


def mixed_kind(i: int) -> str:
    """What host i of a mixed list is: healthy, dead, late or refuse."""
    slot, start = i % 100, 0
    for kind, per_100 in MIXED_KINDS:
        if start <= slot < start + per_100:
            return kind
        start += per_100
    return "healthy"


def mixed_name(i: int, groups: int) -> str:
    kind = mixed_kind(i)
    return host_name(i, groups) if kind == "healthy" else f"{kind[0]}{i}.g{i % groups}.{DOMAIN}"


def mixed_v6(kind: str, j: int) -> str:
    return f"2001:db8::{_MIXED_V6[kind]}:{j:x}"


def group_v4(k: int) -> str:
    return f"192.0.2.{100 + k}"


def group_v6(k: int) -> str:
    return f"2001:db8::1:{k:x}"


def _which(binary: str) -> str | None:
    return shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def unavailable_reason() -> str | None:
    """Why the lab cannot run here, or None. Cheap: creates and deletes one namespace."""
    if sys.platform != "linux":
        return f"Linux network namespaces are needed (this is {sys.platform})"
    if os.geteuid() != 0:
        return "not root (the benchmark creates network namespaces: run it as root, e.g. with sudo)"
    missing = [f"{b} ({pkg})" for b, pkg in BINARIES.items() if _which(b) is None]
    if missing:
        return "server software missing: " + ", ".join(missing) + " (install with: bash netlab/install-deps.sh)"
    if not Path("/proc/sys/net/ipv6").exists():
        return "the kernel has no IPv6 (/proc/sys/net/ipv6 missing)"
    try:
        import cryptography  # noqa: F401
        import dns.message  # noqa: F401
    except ImportError as e:
        return f"a Python package is missing ({e.name}): pip install -e ."
    probe = f"{PREFIX}-probe-{os.getpid()}"
    proc = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip() or proc.returncode}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


class BenchLab:
    """One benchmark lab: two namespaces, BIND, nginx, a lab CA; all named after this process."""

    def __init__(self, groups: int = DEFAULT_GROUPS, name: str | None = None, mixed: int = 0,
                 page_deps: bool = False) -> None:
        if not 1 <= groups <= 150:
            raise ValueError("groups must be between 1 and 150 (addresses 192.0.2.100-249)")
        self.name = name or f"{PREFIX}-{os.getpid()}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,40}", self.name):
            raise ValueError(f"bad lab name {self.name!r}")
        self.groups = groups
        self.mixed = mixed  # hosts of the largest mixed list (0: no mixed population)
        self.page_deps = page_deps  # the page loads sub-resources (DEPS_PAGE)
        self.server_ns = f"{self.name}-srv"
        self.client_ns = f"{self.name}-cli"
        self.dir = Path(f"/tmp/{self.name}")
        self.named_dir = Path(f"/var/cache/bind/{self.name}")
        self.etc_netns = Path("/etc/netns") / self.client_ns
        self.ca_bundle = self.dir / "certs" / "ca.pem"
        self.server_pids: list[int] = []

    # ------------------------------------------------------------ use

    def client_cmd(self, args: list[str]) -> list[str]:
        """A command line that runs ``args`` in the client namespace (``ip netns exec`` execs it: same pid)."""
        return ["ip", "netns", "exec", self.client_ns, *args]

    def server_processes(self) -> list[int]:
        proc = subprocess.run(["ip", "netns", "pids", self.server_ns], capture_output=True, text=True)
        return [int(p) for p in proc.stdout.split() if p.isdigit()]

    # ------------------------------------------------------------ up / down

    def up(self, log=print) -> None:
        reason = unavailable_reason()
        if reason:
            raise LabUnavailable(reason)
        started = time.monotonic()
        try:
            self._files()
            self._network()
            self._start()
            self._wait_ready()
        except BaseException:
            self.down()
            raise
        log(f"lab {self.name}: BIND + nginx up in {time.monotonic() - started:.1f} s "
            f"({self.groups} address pairs, wildcard *.g<k>.{DOMAIN})")

    def down(self) -> None:
        """Kill every process in the namespaces, delete them and every file. Safe to call twice."""
        for ns in (self.server_ns, self.client_ns):
            if ns in namespaces():
                _kill_all_in(ns)
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.etc_netns, ignore_errors=True)
        try:
            self.etc_netns.parent.rmdir()  # /etc/netns, only when nothing else is in it
        except OSError:
            pass
        for d in (self.dir, self.named_dir):
            shutil.rmtree(d, ignore_errors=True)

    def __enter__(self) -> BenchLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # ------------------------------------------------------------ building blocks

    def _files(self) -> None:
        for d in (self.dir, self.named_dir):
            shutil.rmtree(d, ignore_errors=True)
        for sub in ("certs", "logs", "run", "nginx", "www"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.named_dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        (self.dir / "www").chmod(0o755)
        (self.dir / "www" / "index.html").write_text(DEPS_PAGE if self.page_deps else PAGE, encoding="utf-8")
        if self.page_deps:
            for name, text in DEPS_FILES.items():
                (self.dir / "www" / name).write_text(text, encoding="utf-8")

        ca = _LabCA()
        self.ca_bundle.write_bytes(ca.cert_pem)
        for k in range(self.groups):  # one wildcard certificate per group, as a real site has
            pem = self.dir / "certs" / f"g{k}.pem"
            pem.write_bytes(ca.issue(f"*.g{k}.{DOMAIN}"))
            pem.chmod(0o600)

        zone = [
            "$TTL 3600",
            f"@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 60",
            f"@ IN NS ns.{DOMAIN}.",
            f"ns IN A {DNS_V4}",
            f"ns IN AAAA {DNS_V6}",
        ]
        for k in range(self.groups):
            zone += [f"*.g{k} IN A {group_v4(k)}", f"*.g{k} IN AAAA {group_v6(k)}"]
        for i in range(self.mixed):  # a name of its own beats the wildcard: its A and AAAA both
            if (kind := mixed_kind(i)) != "healthy":
                label = mixed_name(i, self.groups).removesuffix(f".{DOMAIN}")
                zone += [f"{label} IN A {group_v4(i % self.groups)}",
                         f"{label} IN AAAA {mixed_v6(kind, i % MIXED_ADDRESSES)}"]
        (self.named_dir / f"{DOMAIN}.zone").write_text("\n".join(zone) + "\n")
        (self.named_dir / "named.conf").write_text(f"""\
options {{
    directory "{self.named_dir}";
    pid-file none;
    session-keyfile none;
    listen-on port 53 {{ {DNS_V4}; }};
    listen-on-v6 port 53 {{ {DNS_V6}; }};
    automatic-interface-scan no;
    recursion no;
    dnssec-validation no;
    notify no;
    minimal-responses yes;
}};
controls {{ }};
logging {{
    channel file {{ file "{self.named_dir}/named.log"; print-time yes; severity warning; }};
    category default {{ file; }};
}};
zone "{DOMAIN}." {{ type primary; file "{self.named_dir}/{DOMAIN}.zone"; }};
""")
        d = self.dir
        servers = "".join(
            f"    server {{ listen 80; listen [::]:80; listen 443 ssl; listen [::]:443 ssl; "
            f"server_name *.g{k}.{DOMAIN}; "
            f"ssl_certificate {d}/certs/g{k}.pem; ssl_certificate_key {d}/certs/g{k}.pem; }}\n"
            for k in range(self.groups)
        )
        (d / "nginx.conf").write_text(f"""\
user root;
worker_processes 1;
worker_rlimit_nofile 65536;
pid {d}/run/nginx.pid;
error_log {d}/logs/nginx-error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {d}/nginx/body;
    proxy_temp_path {d}/nginx/proxy;
    fastcgi_temp_path {d}/nginx/fastcgi;
    uwsgi_temp_path {d}/nginx/uwsgi;
    scgi_temp_path {d}/nginx/scgi;
    types {{ text/html html; text/css css; application/javascript js; }}
    default_type text/html;
    charset utf-8;
    keepalive_timeout 0;
    ssl_protocols TLSv1.2 TLSv1.3;
    root {d}/www;
    index index.html;
    server {{
        listen 80 backlog=4096; listen [::]:80 ipv6only=on backlog=4096;
        listen 443 ssl backlog=4096; listen [::]:443 ssl ipv6only=on backlog=4096;
        server_name _;
        ssl_certificate {d}/certs/g0.pem; ssl_certificate_key {d}/certs/g0.pem;
    }}
{servers}}}
""")

    def _network(self) -> None:
        for ns in (self.server_ns, self.client_ns):
            _run(["ip", "netns", "add", ns], f"ip netns add {ns}")
            sysctls = {"net/ipv6/conf/all/disable_ipv6": 0, "net/ipv6/conf/default/disable_ipv6": 0,
                       "net/ipv6/conf/all/accept_dad": 0, "net/ipv6/conf/default/accept_dad": 0,
                       "net/ipv4/ip_local_port_range": "1024 65000", "net/ipv4/tcp_tw_reuse": 1,
                       "net/core/somaxconn": 4096}
            script = "; ".join(f"echo {v} > /proc/sys/{k} 2>/dev/null" for k, v in sysctls.items())
            _run(["ip", "netns", "exec", ns, "sh", "-c", script + "; true"], f"sysctls in {ns}")
            _run(["ip", "-n", ns, "link", "set", "lo", "up"], f"lo up in {ns}")
        _run(["ip", "-n", self.server_ns, "link", "add", "srv0", "type", "veth", "peer", "name", "cli0",
              "netns", self.client_ns], "veth pair")
        batch = [f"address add {DNS_V4}/24 dev srv0", f"address add {DNS_V6}/64 dev srv0 nodad"]
        batch += [f"address add {group_v4(k)}/24 dev srv0" for k in range(self.groups)]
        batch += [f"address add {group_v6(k)}/64 dev srv0 nodad" for k in range(self.groups)]
        if self.mixed:
            batch += [f"address add {mixed_v6(kind, j)}/64 dev srv0 nodad"
                      for kind in _MIXED_V6 for j in range(MIXED_ADDRESSES)]
        batch.append("link set srv0 up")
        _run(["ip", "-n", self.server_ns, "-batch", "-"], "server addresses", input="\n".join(batch) + "\n")
        client = [f"address add {CLIENT_V4}/24 dev cli0", f"address add {CLIENT_V6}/64 dev cli0 nodad",
                  "link set cli0 up"]
        _run(["ip", "-n", self.client_ns, "-batch", "-"], "client addresses", input="\n".join(client) + "\n")
        # `ip netns exec` shows this file as /etc/resolv.conf in the client namespace only.
        # Only sslyze and dig+curl need it (the floor and ipv6scan are given the server): tolerate a read-only /etc.
        try:
            self.etc_netns.mkdir(parents=True, exist_ok=True)
            (self.etc_netns / "resolv.conf").write_text(f"nameserver {DNS_V4}\noptions timeout:3 attempts:2\n")
        except OSError:
            pass

    def _start(self) -> None:
        ns = ["ip", "netns", "exec", self.server_ns]
        conf = str(self.named_dir / "named.conf")
        # One worker thread: the servers share this machine's two cores with the clients measured.
        _run([*ns, "named", "-n", "1", "-c", conf], "named")
        d = self.dir
        err = ["-e", str(d / "logs" / "nginx-error.log")]
        _run([*ns, "nginx", "-t", "-q", "-c", str(d / "nginx.conf"), *err], "nginx -t")
        _run([*ns, "nginx", "-c", str(d / "nginx.conf"), *err], "nginx")
        if self.mixed:
            self._start_mixed(ns)

    def _start_mixed(self, ns: list[str]) -> None:
        """nftables: drop the dead addresses, reset the refusing ones, send the late ones to the relay."""
        def prefix(kind: str) -> str:
            return f"2001:db8::{_MIXED_V6[kind]}:0/112"
        rules = f"""table inet benchmixed {{
    chain input {{
        type filter hook input priority filter; policy accept;
        ip6 daddr {prefix("dead")} meta l4proto tcp drop
        ip6 daddr {prefix("refuse")} meta l4proto tcp reject with tcp reset
    }}
}}
table ip6 benchdelay {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
""" + "".join(f"        ip6 daddr {prefix('late')} tcp dport {port} dnat to [{DNS_V6}]:{relay}\n"
              for port, relay in DELAY_PORTS.items()) + "    }\n}\n"
        (self.dir / "mixed.nft").write_text(rules)
        _run([*ns, "nft", "-f", str(self.dir / "mixed.nft")], "nftables (mixed population)")
        pairs = [f"[{DNS_V6}]:{relay}=[{DNS_V6}]:{port}" for port, relay in DELAY_PORTS.items()]
        log = open(self.dir / "logs" / "delay-proxy.log", "wb")
        proc = subprocess.Popen([*ns, sys.executable, str(Path(__file__).with_name("delay_proxy.py")),
                                 "--delay", str(LATE_S), *pairs], stdout=subprocess.PIPE, stderr=log)
        if proc.stdout is None or proc.stdout.readline().strip() != b"ready":
            raise LabError(f"the delay relay did not start: {(self.dir / 'logs' / 'delay-proxy.log').read_text()}")

    def _wait_ready(self, timeout: float = 20.0) -> None:
        probe = (
            "import socket, sys, time\n"
            "import dns.message, dns.query\n"
            "deadline = time.monotonic() + float(sys.argv[1])\n"
            "last = ''\n"
            "while time.monotonic() < deadline:\n"
            "    try:\n"
            f"        r = dns.query.udp(dns.message.make_query('h0.g0.{DOMAIN}', 'AAAA'), '{DNS_V4}', timeout=1)\n"
            "        assert r.answer, 'no answer'\n"
            f"        for a in ('{group_v4(0)}', '{group_v6(0)}'):\n"
            "            for p in (80, 443):\n"
            "                socket.create_connection((a, p), timeout=1).close()\n"
            "        sys.exit(0)\n"
            "    except Exception as e:\n"
            "        last = f'{type(e).__name__}: {e}'\n"
            "        time.sleep(0.1)\n"
            "print('not ready:', last); sys.exit(1)\n"
        )
        proc = subprocess.run(self.client_cmd([sys.executable, "-c", probe, str(timeout)]),
                              capture_output=True, text=True, timeout=timeout + 30)
        if proc.returncode != 0:
            logs = ""
            for f in (self.named_dir / "named.log", self.dir / "logs" / "nginx-error.log"):
                if f.exists():
                    logs += f"\n{f}:\n" + f.read_text(errors="replace")[-1500:]
            raise LabError(f"the lab did not come up: {proc.stdout.strip()} {proc.stderr.strip()}{logs}")


class _LabCA:
    """A lab CA and its leaf certificates (ECDSA P-256), made with cryptography.

    Not trustme: its leaves carry a critical subjectAltName next to a non-empty subject,
    which RFC 5280 forbids and sslyze's validator (cryptography's) rejects, so sslyze
    would call every certificate untrusted.
    """

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ser, self._ec, self._oid = x509, hashes, serialization, ec, NameOID
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ipv6scan bench"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "ipv6scan bench lab CA")])
        now = dt.datetime.now(dt.timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, dns_name: str) -> bytes:
        """Key + certificate PEM for one name (a wildcard is fine)."""
        x509, ser = self._x509, self._ser
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(self._oid.COMMON_NAME, dns_name)]))
            .issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, self._hashes.SHA256())
        )
        return (key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
                + cert.public_bytes(ser.Encoding.PEM))


def _run(args: list[str], what: str, *, input: str | None = None) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, input=input, timeout=60)
    if proc.returncode != 0:
        out = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise LabError(f"{what} failed (exit {proc.returncode}): {' '.join(args)}\n{out}")
    return proc.stdout


def namespaces() -> set[str]:
    proc = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}


def _kill_all_in(ns: str) -> None:
    """SIGTERM every process in the namespace (never this one), then SIGKILL what is left."""
    def pids() -> list[int]:
        proc = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        return [int(p) for p in proc.stdout.split() if p.isdigit() and int(p) != os.getpid()]

    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        left = pids()
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pids():
            time.sleep(0.05)


def stale_labs() -> list[BenchLab]:
    """Labs left by benchmark runs that died without tearing down (the pid in their name is gone)."""
    found = set()
    for ns in namespaces():
        m = re.fullmatch(rf"({PREFIX}-(\d+))-(srv|cli)", ns)
        if m and not Path(f"/proc/{m.group(2)}").exists():
            found.add(m.group(1))
    return [BenchLab(name=n) for n in sorted(found)]
