"""The real-network lab: BIND, nginx, exim and nftables in two Linux network namespaces.

Topology (nothing outside the two namespaces is touched: no host routes, no host firewall)::

    <name>-client                         <name>-server
    cli0 192.0.2.2/24  <--- veth --->  srv0 192.0.2.1 ... 192.0.2.250/24
         2001:db8::2/64                     2001:db8::1 ... 2001:db8::66/64
    default via 192.0.2.1, 2001:db8::1 named (recursive resolver)  192.0.2.3, 2001:db8::3
    ipv6scan runs here                 named (authoritative, one view per name server)
                                       nginx (every web site), exim (SMTP), nftables

The resolver knows only the lab root (a.root-servers.test at 192.0.2.4) and resolves
iteratively: root -> example. -> gov.example and the other lab zones, each on its own
name-server addresses. Configuration templates live in ``netlab/config``; ``{{DIR}}`` in
them becomes the lab's working directory ``/tmp/netlab-<name>`` (rendered configs,
certificates, logs) and ``{{NAMED}}`` BIND's, ``/var/cache/bind/netlab-<name>`` (linked as
``named`` from the working directory): Debian's AppArmor profile for named only lets it
read and write under /var/cache/bind.

    python -m netlab up [--name NAME]      bring the lab up (root), print how to use it
    python -m netlab shell [--name NAME]   a shell in the client namespace
    python -m netlab scan [--name NAME]    scan every scenario from the client namespace
    python -m netlab down [--name NAME]    kill the lab's processes, delete its namespaces
    python -m netlab status                the labs that are up
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONFIG = HERE / "config"
DEFAULT_NAME = "ipv6lab"

CLIENT_V4, CLIENT_V6 = "192.0.2.2", "2001:db8::2"
ROUTER_V4, ROUTER_V6 = "192.0.2.1", "2001:db8::1"  # the client's default gateway: the server namespace
RESOLVER_V4, RESOLVER_V6 = "192.0.2.3", "2001:db8::3"
ALLOW_SPECIAL = ["192.0.2.0/24", "2001:db8::/32"]

# Every service address of the server namespace (host numbers in 192.0.2.0/24 and 2001:db8::/64).
#   1 the client's gateway, 3 resolver, 4 root, 5 example., 53/54 gov.example NS, 55 nsv4 NS (v4), 56/57 onens NS (57 v4),
#   58 cdn-provider NS (and badsig.example), 60 rrl NS, 66 lame NS; 10-24 and 30-40 web sites (11 v4 only;
#   33 TLS 1.0-1.3, 34 no intermediate sent, 35 late6: over IPv6 nginx proxies to a 1.5 s relay, bench/delay_proxy.py);
#   25 mail.gov.example, 26 mx.nsv4.example (v4); 250 the dead backend behind slow.gov.example (v4)
_WEB = [10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 30, 31, 32, 33, 34, 35, 40, 42, 43]
SERVER_V4 = sorted({1, 3, 4, 5, 11, 25, 26, 44, 53, 54, 55, 56, 57, 58, 60, 66, 250, *_WEB})
SERVER_V6 = sorted({1, 3, 4, 5, 24, 25, 46, 53, 54, 56, 58, 60, 66, *_WEB})

# Certificates issued by the lab CA: file name -> names it covers.
CERTS = {
    name: [name]
    for name in (
        "dual.gov.example", "v4only.gov.example", "refuse6.gov.example", "timeout6.gov.example",
        "diff6.gov.example", "badcert6.gov.example", "slow.gov.example", "shared-a.gov.example",
        "xn--cng-qmz.gov.example", "redirect6.gov.example", "multi6.gov.example", "www.nsv4.example",
        "www.onens.example", "www.rrl.example", "deps.gov.example", "secure.gov.example",
        "oldtls.gov.example", "late6.gov.example",
    )
}
CERTS["dual.gov.example"] = ["dual.gov.example", "www.badsig.example"]
LATE6_DELAY = 1.5  # seconds the relay on [2001:db8::35] waits before it connects to nginx
CERTS["www.nsv4.example"] = ["www.nsv4.example", "cname4ns.gov.example"]
CERTS["js.cdn-provider.example"] = ["js.cdn-provider.example", "fonts.cdn-provider.example",
                                    "dead6.cdn-provider.example"]
CERTS["www.gov.example"] = ["www.gov.example", "cdn.gov.example", "edge.cdn-provider.example"]

# Server software the lab needs (Debian packages in netlab/install-deps.sh).
BINARIES = {
    "ip": "iproute2", "nft": "nftables", "named": "bind9", "named-checkconf": "bind9-utils",
    "dnssec-keygen": "bind9-utils", "dnssec-signzone": "bind9-utils", "nginx": "nginx",
    "exim4": "exim4-daemon-light",
}


class LabUnavailable(Exception):
    """The lab cannot be built on this machine (not root, no namespaces, software missing)."""


class LabError(Exception):
    """Bringing the lab up failed (a server did not start, ...): the message says which and why."""


# ---------------------------------------------------------------- prerequisites


def _which(binary: str) -> str | None:
    return shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def unavailable_reason() -> str | None:
    """Why the lab cannot run here, or None. Cheap: creates and deletes one namespace."""
    if sys.platform != "linux":
        return f"Linux network namespaces are needed (this is {sys.platform})"
    if os.geteuid() != 0:
        return "not root (the lab creates network namespaces: run as root, e.g. sudo)"
    missing = [f"{b} ({pkg})" for b, pkg in BINARIES.items() if _which(b) is None]
    if missing:
        return "server software missing: " + ", ".join(missing) + " — run netlab/install-deps.sh"
    if not Path("/proc/sys/net/ipv6").exists():
        return "the kernel has no IPv6 (/proc/sys/net/ipv6 missing)"
    probe = f"netlab-probe-{os.getpid()}"
    proc = subprocess.run(["ip", "netns", "add", probe], check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip() or proc.returncode}"
    subprocess.run(["ip", "netns", "del", probe], check=False, capture_output=True)
    return None


# ---------------------------------------------------------------- the lab


class NetLab:
    """One lab instance: its two namespaces and its working directory, all named after ``name``."""

    def __init__(self, name: str = DEFAULT_NAME) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,40}", name):
            raise ValueError(f"bad lab name {name!r}")
        self.name = name
        self.server_ns = f"{name}-server"
        self.client_ns = f"{name}-client"
        self.dir = Path(f"/tmp/netlab-{name}")
        # BIND's files live where Debian's AppArmor profile for named lets it read and write.
        self.named_dir = Path(f"/var/cache/bind/netlab-{name}")

    # ------------------------------------------------------------ facts for users of the lab

    @property
    def etc_netns(self) -> Path:
        return Path("/etc/netns") / self.client_ns

    @property
    def ca_bundle(self) -> Path:
        return self.dir / "certs" / "ca.pem"

    @property
    def resolver(self) -> str:
        return RESOLVER_V4

    def scan_options(self) -> list[str]:
        """``ipv6scan scan`` options that point a scan at this lab (run it in the client namespace)."""
        opts = ["--resolver", self.resolver, "--ca-bundle", str(self.ca_bundle), "--ipv6", "yes",
                "--timeout", "1", "--read-timeout", "2", "--dns-timeout", "3", "--trust-anchor", str(self.trust_anchor)]
        for prefix in ALLOW_SPECIAL:
            opts += ["--allow-special", prefix]
        return opts

    def is_up(self) -> bool:
        return self.server_ns in namespaces() or self.client_ns in namespaces()

    def in_client(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a command in the client namespace (where the scanner runs)."""
        return subprocess.run(["ip", "netns", "exec", self.client_ns, *args], check=False, **kwargs)

    def in_server(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.server_ns, *args], check=False, **kwargs)

    def python_env(self) -> dict[str, str]:
        """Environment to run this repository's ipv6scan with the current interpreter."""
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        return {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}

    # ------------------------------------------------------------ up / down

    def up(self, log=print) -> None:
        """Build everything; on any failure tear down what was built and raise (LabUnavailable / LabError)."""
        reason = unavailable_reason()
        if reason:
            raise LabUnavailable(reason)
        if self.is_up():
            raise LabError(f"lab {self.name!r} is already up (python -m netlab down --name {self.name})")
        started = time.monotonic()
        try:
            log(f"netlab {self.name}: files in {self.dir}")
            self._render()
            self._certificates()
            self._sign_zone()
            log(f"netlab {self.name}: namespaces {self.server_ns}, {self.client_ns}")
            self._network()
            self._firewall()
            self._start_servers()
            self._wait_ready()
        except BaseException:
            self.down(keep_files=True)
            raise
        (self.dir / "lab.json").write_text(json.dumps({
            "name": self.name, "server_ns": self.server_ns, "client_ns": self.client_ns,
            "resolver": self.resolver, "ca_bundle": str(self.ca_bundle), "scan_options": self.scan_options(),
        }, indent=1))
        log(f"netlab {self.name}: up in {time.monotonic() - started:.1f} s")

    def down(self, *, keep_files: bool = False) -> list[str]:
        """Kill every process in the lab's namespaces, delete them, remove the files. Returns what it did."""
        done = []
        for ns in (self.server_ns, self.client_ns):
            if ns not in namespaces():
                continue
            killed = _kill_all_in(ns)
            if killed:
                done.append(f"killed {len(killed)} processes in {ns}")
            proc = subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True, text=True)
            done.append(f"deleted {ns}" if proc.returncode == 0 else f"could not delete {ns}: {proc.stderr.strip()}")
        if self.etc_netns.exists():
            shutil.rmtree(self.etc_netns, ignore_errors=True)
            try:
                self.etc_netns.parent.rmdir()  # only when empty
            except OSError:
                pass
        if not keep_files:
            for d in (self.dir, self.named_dir):
                if d.exists():
                    shutil.rmtree(d, ignore_errors=True)
                    done.append(f"removed {d}")
        return done

    # ------------------------------------------------------------ building blocks

    def _render(self) -> None:
        """Copy netlab/config into the working directories with {{DIR}} and {{NAMED}} filled in."""
        for d in (self.dir, self.named_dir):
            if d.exists() or d.is_symlink():
                shutil.rmtree(d)
        for sub in ("certs", "logs", "run", "exim", "nginx", "www"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("zones", "keys", "logs", "named-auth", "named-resolver"):
            (self.named_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "named").symlink_to(self.named_dir)
        for src in CONFIG.rglob("*"):
            if src.is_file():
                rel = src.relative_to(CONFIG)
                dst = (self.named_dir if rel.parts[0] == "zones" or rel.name.startswith("named-") else self.dir) / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                text = src.read_text(encoding="utf-8")
                dst.write_text(text.replace("{{DIR}}", str(self.dir)).replace("{{NAMED}}", str(self.named_dir)),
                               encoding="utf-8")
        (self.dir / "targets.txt").write_text(_targets_text(), encoding="utf-8")

    def _certificates(self) -> None:
        """The lab CA (trustme), a certificate per site, an expired one and a self-signed one."""
        import trustme

        certs = self.dir / "certs"
        ca = trustme.CA(organization_name="netlab", organization_unit_name="lab CA")
        ca.cert_pem.write_to_path(str(certs / "ca.pem"))
        for stem, names in CERTS.items():
            ca.issue_cert(*names).private_key_and_cert_chain_pem.write_to_path(str(certs / f"{stem}.pem"))
        now = dt.datetime.now(dt.UTC)
        expired = ca.issue_cert("expired.gov.example", not_before=now - dt.timedelta(days=90),
                                not_after=now - dt.timedelta(days=30))
        expired.private_key_and_cert_chain_pem.write_to_path(str(certs / "expired.pem"))
        (certs / "self-signed.pem").write_bytes(_self_signed("badcert6.gov.example"))
        # issued by an intermediate of the lab CA, the leaf alone in the file: nginx sends no intermediate
        from ipv6scan.testnet.web_server import AIA_URL, issued_by
        nointer = issued_by(ca.create_child_ca(), ["nointer.gov.example"], now, aia=AIA_URL, chain=[])
        (certs / "nointer.gov.example.pem").write_bytes(nointer.private_key_pem.bytes() + nointer.cert_chain_pems[0].bytes())
        for pem in certs.glob("*.pem"):
            pem.chmod(0o600)

    @property
    def trust_anchor(self) -> Path:
        """example.'s DS (written by dnssec-signzone): the trust anchor a scan of the lab is given."""
        return self.named_dir / "zones" / "dsset-example."

    def _sign_zone(self) -> None:
        """Sign gov.example, badsig.example (signatures that expired a week ago) and example. for real with
        dnssec-signzone; the children's DS go into example. via $INCLUDE, example.'s DS is the trust anchor."""
        keys, zones = self.named_dir / "keys", self.named_dir / "zones"
        week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
        # -P: no post-sign verification (it would reject the expired signatures, which are the point)
        window = {"badsig.example": ["-P", "-s", f"{week_ago - dt.timedelta(days=7):%Y%m%d%H%M%S}",
                                     "-e", f"{week_ago:%Y%m%d%H%M%S}"]}
        # badsig's keys must be active when its (past) signatures were made, or dnssec-signzone finds no KSK
        stamp = f"{week_ago - dt.timedelta(days=30):%Y%m%d%H%M%S}"
        since = {"badsig.example": ["-P", stamp, "-A", stamp]}
        for zone in ("gov.example", "badsig.example", "example"):  # children first: example. includes their DS
            for extra in (["-f", "KSK"], []):
                _run(["dnssec-keygen", "-K", str(keys), "-a", "ECDSAP256SHA256", *since.get(zone, []), *extra, zone],
                     "dnssec-keygen")
            _run(["dnssec-signzone", "-q", "-S", "-K", str(keys), "-d", str(zones), *window.get(zone, []),
                  "-o", zone, "-f", str(zones / f"{zone}.zone.signed"), str(zones / f"{zone}.zone")],
                 f"dnssec-signzone {zone}")

    def _network(self) -> None:
        for ns in (self.server_ns, self.client_ns):
            _run(["ip", "netns", "add", ns], f"ip netns add {ns}")
            # IPv6 on, no duplicate address detection (addresses usable at once); loopback up.
            # No forwarding: the server namespace is a dead end for anything that is not the lab.
            sysctls = {"net/ipv6/conf/all/disable_ipv6": 0, "net/ipv6/conf/default/disable_ipv6": 0,
                       "net/ipv6/conf/all/accept_dad": 0, "net/ipv6/conf/default/accept_dad": 0,
                       "net/ipv4/ip_forward": 0, "net/ipv6/conf/all/forwarding": 0}
            script = "; ".join(f"echo {v} > /proc/sys/{k}" for k, v in sysctls.items())
            _run(["ip", "netns", "exec", ns, "sh", "-c", script], f"sysctls in {ns}")
            _run(["ip", "-n", ns, "link", "set", "lo", "up"], f"lo up in {ns}")
        _run(["ip", "-n", self.server_ns, "link", "add", "srv0", "type", "veth", "peer", "name", "cli0",
              "netns", self.client_ns], "veth pair")
        batch = [f"address add 192.0.2.{n}/24 dev srv0" for n in SERVER_V4]
        batch += [f"address add 2001:db8::{n}/64 dev srv0 nodad" for n in SERVER_V6]
        batch.append("link set srv0 up")
        _run(["ip", "-n", self.server_ns, "-batch", "-"], "server addresses", input="\n".join(batch) + "\n")
        # Default routes to the server namespace (192.0.2.1 / 2001:db8::1), which forwards nothing: the client
        # looks like a dual-stack machine, and whatever is not the lab dies there. (`--ipv6 auto` still says
        # no: the scanner does not count a documentation source address as IPv6 Internet; hence --ipv6 yes.)
        client = [f"address add {CLIENT_V4}/24 dev cli0", f"address add {CLIENT_V6}/64 dev cli0 nodad",
                  "link set cli0 up", f"route add default via {ROUTER_V4}", f"route add default via {ROUTER_V6}"]
        _run(["ip", "-n", self.client_ns, "-batch", "-"], "client addresses", input="\n".join(client) + "\n")
        # `ip netns exec` shows this file as /etc/resolv.conf inside the client namespace, so dig, curl and
        # the scanner use the lab resolver by default there. A convenience: tolerate /etc being read-only.
        try:
            self.etc_netns.mkdir(parents=True, exist_ok=True)
            (self.etc_netns / "resolv.conf").write_text(f"nameserver {RESOLVER_V4}\nnameserver {RESOLVER_V6}\n")
        except OSError:
            pass

    def _firewall(self) -> None:
        _run(["ip", "netns", "exec", self.server_ns, "nft", "-f", str(self.dir / "nftables.nft")], "nftables")

    def _start_servers(self) -> None:
        d, ns = self.dir, ["ip", "netns", "exec", self.server_ns]
        for which in ("auth", "resolver"):
            conf = str(self.named_dir / f"named-{which}.conf")
            _run(["named-checkconf", "-z", conf], f"named-checkconf ({which})")
            _run([*ns, "named", "-c", conf], f"named ({which})")  # daemonises; logs in logs/named-*.log
        _run([*ns, "nginx", "-t", "-q", "-c", str(d / "nginx.conf"), "-e", str(d / "logs" / "nginx-error.log")],
             "nginx -t")
        _run([*ns, "nginx", "-c", str(d / "nginx.conf"), "-e", str(d / "logs" / "nginx-error.log")], "nginx")
        _run([*ns, "exim4", "-C", str(d / "exim.conf"), "-bd"], "exim")
        # late6.gov.example over IPv6: nginx proxies to a relay that waits LATE6_DELAY s (no tc netem needed)
        relay = [*ns, sys.executable, str(REPO / "bench" / "delay_proxy.py"), "--delay", str(LATE6_DELAY),
                 "127.0.0.1:18035=192.0.2.35:80"]
        log = open(d / "logs" / "late6-relay.log", "w")
        proc = subprocess.Popen(relay, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        started = proc.stdout.readline().strip() == "ready"
        proc.stdout.close()
        if not started:
            raise LabError(f"the late6 relay did not start (see {d / 'logs' / 'late6-relay.log'})")

    def _wait_ready(self, timeout: float = 20.0) -> None:
        """Every kind of server answers from the client namespace (resolution through the lab root included)."""
        proc = self.in_client([sys.executable, "-m", "netlab", "ready", "--timeout", str(timeout)],
                              capture_output=True, text=True, env=self.python_env(), cwd=REPO, timeout=timeout + 30)
        if proc.returncode != 0:
            raise LabError(f"the lab did not come up: {proc.stdout.strip()} {proc.stderr.strip()} "
                           f"(logs in {self.dir / 'logs'} and {self.named_dir / 'logs'})")


def _targets_text() -> str:
    from .scenarios import targets_text

    return targets_text()


def _self_signed(name: str) -> bytes:
    """A genuinely self-signed certificate (key + certificate PEM) for name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)


def _run(args: list[str], what: str, *, input: str | None = None) -> str:
    proc = subprocess.run(args, check=False, capture_output=True, text=True, input=input, timeout=60)
    if proc.returncode != 0:
        out = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise LabError(f"{what} failed (exit {proc.returncode}): {' '.join(args)}\n{out}")
    return proc.stdout


def namespaces() -> set[str]:
    proc = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True)
    return {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}


def _kill_all_in(ns: str) -> list[int]:
    """SIGTERM every process in the namespace, then SIGKILL what is left after a few seconds."""
    def pids() -> list[int]:
        proc = subprocess.run(["ip", "netns", "pids", ns], check=False, capture_output=True, text=True)
        return [int(p) for p in proc.stdout.split() if p.isdigit() and int(p) != os.getpid()]

    first = pids()
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        left = pids()
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pids():
            time.sleep(0.05)
    return first


def stale_test_labs(prefix: str = "ipv6lab-t") -> list[NetLab]:
    """Labs left by test runs that died without tearing down (their pid, in the name, is gone)."""
    found = []
    for ns in namespaces():
        m = re.fullmatch(rf"({re.escape(prefix)}(\d+))-(server|client)", ns)
        if m and not Path(f"/proc/{m.group(2)}").exists():
            found.append(m.group(1))
    return [NetLab(name) for name in sorted(set(found))]


# ---------------------------------------------------------------- readiness (runs in the client namespace)


def ready(timeout: float) -> int:
    """Wait until the resolver resolves through the lab root and nginx and exim accept connections."""
    import socket

    import dns.message
    import dns.query
    import dns.rcode

    deadline = time.monotonic() + timeout
    pending: dict[str, object] = {
        "resolver: dual.gov.example AAAA": ("dns", RESOLVER_V4, "dual.gov.example", "AAAA"),
        "resolver: www.gov.example A": ("dns", RESOLVER_V4, "www.gov.example", "A"),
        "nginx 192.0.2.10:443": ("tcp", "192.0.2.10", 443),
        "nginx [2001:db8::10]:443": ("tcp", "2001:db8::10", 443),
        "exim 192.0.2.25:25": ("tcp", "192.0.2.25", 25),
        "exim [2001:db8::25]:25": ("tcp", "2001:db8::25", 25),
    }
    last: dict[str, str] = {}
    while pending and time.monotonic() < deadline:
        for label, how in list(pending.items()):
            try:
                if how[0] == "dns":
                    reply = dns.query.udp(dns.message.make_query(how[2], how[3]), how[1], timeout=1)
                    if reply.rcode() != dns.rcode.NOERROR or not reply.answer:
                        raise OSError(f"rcode {dns.rcode.to_text(reply.rcode())}, {len(reply.answer)} answers")
                else:
                    socket.create_connection((how[1], how[2]), timeout=1).close()
            except Exception as e:  # noqa: BLE001 - not up yet
                last[label] = f"{type(e).__name__}: {e}"
                continue
            del pending[label]
        if pending:
            time.sleep(0.2)
    if pending:
        print("not ready: " + "; ".join(f"{k} ({last.get(k, '?')})" for k in pending))
        return 1
    return 0


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd, text in (("up", "bring the lab up"), ("down", "tear the lab down"),
                      ("shell", "a shell in the client namespace"),
                      ("scan", "scan every scenario (more ipv6scan scan options may follow)")):
        p = sub.add_parser(cmd, help=text)
        p.add_argument("--name", default=DEFAULT_NAME, help=f"lab name (default {DEFAULT_NAME})")
    sub.add_parser("status", help="list labs that are up")
    p = sub.add_parser("ready", help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, default=20.0)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "scan":
        parser.error("unrecognized arguments: " + " ".join(extra))

    if args.command == "ready":
        return ready(args.timeout)
    if args.command == "status":
        labs = sorted({ns.rsplit("-", 1)[0] for ns in namespaces() if ns.endswith(("-server", "-client"))})
        print("\n".join(labs) if labs else "no lab is up")
        return 0
    lab = NetLab(args.name)
    if args.command == "up":
        try:
            lab.up()
        except (LabUnavailable, LabError) as e:
            print(f"netlab: {e}", file=sys.stderr)
            return 1
        print(f"""
Lab {lab.name!r} is up. A shell inside the client namespace (where ipv6scan runs):

  sudo python -m netlab shell --name {lab.name}      # or: sudo ip netns exec {lab.client_ns} bash

In there, for example:

  dig @{RESOLVER_V4} dual.gov.example AAAA
  dig @2001:db8::53 gov.example SOA +norecurse
  curl --cacert {lab.ca_bundle} -6 https://dual.gov.example/ --resolve dual.gov.example:443:[2001:db8::10]
  python -m ipv6scan scan {lab.dir / 'targets.txt'} $NETLAB_SCAN_OPTIONS

Tear down:  sudo python -m netlab down --name {lab.name}""")
        return 0
    if args.command == "down":
        for line in lab.down() or [f"lab {lab.name!r} is not up"]:
            print(line)
        return 0
    if not lab.is_up():
        print(f"netlab: lab {lab.name!r} is not up (python -m netlab up --name {lab.name})", file=sys.stderr)
        return 1
    if args.command == "shell":
        env = {**lab.python_env(), "NETLAB_SCAN_OPTIONS": " ".join(lab.scan_options()),
               "NETLAB_TARGETS": str(lab.dir / "targets.txt"), "NETLAB_DIR": str(lab.dir),
               "PS1": f"[netlab {lab.name}] \\w# "}
        shell = os.environ.get("SHELL") or "/bin/bash"
        os.execvpe("ip", ["ip", "netns", "exec", lab.client_ns, shell, "--norc", "-i"] if shell.endswith("bash")
                   else ["ip", "netns", "exec", lab.client_ns, shell], env)
    # scan
    cmd = [sys.executable, "-m", "ipv6scan", "scan", str(lab.dir / "targets.txt"), *lab.scan_options(),
           "--no-save", *extra]
    return lab.in_client(cmd, env=lab.python_env(), cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
