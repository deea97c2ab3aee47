"""ipv6scan benchmark harness: see bench/README.md (run: sudo python3 -m bench)."""
