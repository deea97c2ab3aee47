"""The TLS profiles (``checks/tls-profiles.toml``): data, read once, checked as it is read."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..catalogue import Message
from ..errors import Ipv6scanError

VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")  # the names the facts use (ssl.SSLObject.version())


class ProfileError(Ipv6scanError, ValueError):
    """A TLS profile that does not exist, or a profiles file that says something impossible."""


@dataclass(frozen=True)
class TlsProfile:
    name: str
    title: dict[str, str]  # vi, en
    source: str
    versions: tuple[str, ...]  # a server may accept these, no other
    recommended: tuple[str, ...]  # and should accept these
    rsa_min_bits: int
    ecdsa_min_bits: int


def parse_profiles(text: str, where: str = "tls-profiles.toml") -> tuple[str, dict[str, TlsProfile]]:
    """The default profile's name and every profile; a clear error naming the profile and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{where}: not TOML: {e}") from None
    profiles = {}
    for name, p in (data.get("profile") or {}).items():
        try:
            versions, recommended = tuple(p["versions"]), tuple(p.get("recommended", ()))
            profile = TlsProfile(name=name, title={"vi": p["title"]["vi"], "en": p["title"]["en"]},
                                 source=str(p.get("source", "")), versions=versions, recommended=recommended,
                                 rsa_min_bits=int(p.get("rsa_min_bits", 2048)),
                                 ecdsa_min_bits=int(p.get("ecdsa_min_bits", 256)))
        except (KeyError, TypeError) as e:
            raise ProfileError(f"{where}: profile {name!r} lacks {e}") from None
        unknown = [v for v in (*versions, *recommended) if v not in VERSIONS]
        if unknown or not versions:
            raise ProfileError(f"{where}: profile {name!r}: versions must be among {', '.join(VERSIONS)} "
                               f"(got {', '.join(unknown) or 'none'})")
        profiles[name] = profile
    default = data.get("default")
    if default not in profiles:
        raise ProfileError(f"{where}: the default profile {default!r} is not one of {', '.join(profiles) or 'none'}")
    return default, profiles


@lru_cache(maxsize=1)
def _shipped() -> tuple[str, dict[str, TlsProfile]]:
    text = resources.files(__package__).joinpath("tls-profiles.toml").read_text(encoding="utf-8")
    return parse_profiles(text)


def profile_names() -> list[str]:
    """The shipped profiles' names, the default first."""
    default, profiles = _shipped()
    return [default, *sorted(n for n in profiles if n != default)]


def tls_profile(name: str | None = None) -> TlsProfile:
    """The shipped profile ``name`` (None: the default one); ProfileError naming the profiles there are."""
    found = shipped_profile(name)
    if found is None:
        raise ProfileError(Message("tls_profile_unknown", name=str(name), known=", ".join(profile_names())))
    return found


def shipped_profile(name: str | None) -> TlsProfile | None:
    """The shipped profile ``name`` (None: the default one); None when this version ships no such profile (a
    scan saved by a version that had it)."""
    default, profiles = _shipped()
    return profiles.get(name or default)
