"""Third-party imports that would print a library's deprecation warning on the user's terminal.

cryptography 46 and newer deprecate DSA (``CryptographyDeprecationWarning``, a ``UserWarning``, so
Python shows it): naming ``dsa.DSAPublicKey`` warns. dnspython's DSA algorithm module names it when
``dns.dnssec`` is imported, and the certificate facts name it to recognise a DSA key. Four lines of
English on stderr in every run, a Vietnamese one included, about a library's plans and nothing the
user did: imported here once with that warning (and only that one) silenced.
"""

from __future__ import annotations

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)
    import dns.dnssec as dnssec
    from cryptography.hazmat.primitives.asymmetric.dsa import DSAPublicKey

__all__ = ["DSAPublicKey", "dnssec"]
