"""`python -m pavi_images lint|base|wheelhouse|build|all`: the steps of `nox -s images`."""

from __future__ import annotations

import argparse
import sys
import time

from pavi_images import JOBS, wheelhouse
from pavi_images.base import BASE_IMAGE, ensure_base
from pavi_images.build import SIZE_BUDGET, Built, build, lint, table
from pavi_images.engine import EngineError, detect


def _wheelhouses(folders: list[str]) -> None:
    for folder in folders:
        start = time.perf_counter()
        house = wheelhouse.fill(folder)
        count = len(list(house.glob("*.whl")))
        print(f"wheelhouse {folder}: {count} wheels in {time.perf_counter() - start:.1f} s")


def _base(force: bool) -> None:
    engine = detect()
    start = time.perf_counter()
    made = ensure_base(engine, force=force)
    took = f"made in {time.perf_counter() - start:.1f} s" if made else "already present"
    print(f"base image {BASE_IMAGE} ({engine.name}): {took}")


def _build(folders: list[str], no_cache: bool) -> None:
    engine = detect()
    built: list[Built] = []
    for folder in folders:
        print(f"building {folder} with {engine.name} …", flush=True)
        built.append(build(engine, folder, no_cache=no_cache))
    rows = [
        (
            b.ref,
            f"{b.size / 1e6:.1f}" + (" (over budget)" if b.size > SIZE_BUDGET else ""),
            f"{b.seconds:.1f}",
        )
        for b in built
    ]
    print(table(rows, ("image", "size MB", "build s")))


def main(argv: list[str] | None = None) -> int:
    """Run one step (or all of them, in order); exit 1 with a one-line error on failure."""
    parser = argparse.ArgumentParser(prog="pavi_images", description=__doc__)
    parser.add_argument("step", choices=["lint", "base", "wheelhouse", "build", "all"])
    parser.add_argument("packages", nargs="*", choices=[[], *JOBS], default=[])
    parser.add_argument("--force", action="store_true", help="remake the base image")
    parser.add_argument("--no-cache", action="store_true", help="build without layer cache")
    args = parser.parse_args(argv)
    folders = args.packages or list(JOBS)
    try:
        if args.step in {"lint", "all"}:
            lint()
            print("hadolint: Dockerfiles clean")
        if args.step in {"base", "all"}:
            _base(args.force)
        if args.step in {"wheelhouse", "all"}:
            _wheelhouses(folders)
        if args.step in {"build", "all"}:
            _build(folders, args.no_cache)
    except (EngineError, wheelhouse.WheelhouseError) as exc:
        print(f"pavi_images: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
