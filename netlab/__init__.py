"""netlab: ipv6scan against real server software (BIND, nginx, exim, nftables) in network namespaces.

See netlab/README.md; ``python -m netlab --help``.
"""
