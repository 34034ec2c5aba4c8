"""The reliability suite: faults, concurrency, signals, full disks, bad input (docs/reliability.md).

Not part of the unit tests: ``nox -s reliability`` (or ``python -m reliability``) runs every probe
against the real console scripts, prints one table row per check and exits 1 if any check did
not hold.
"""
