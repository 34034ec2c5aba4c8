"""Pulumi entry point: `pulumi up --stack dev` (or prod) runs this with infra/ as cwd."""

from pathlib import Path

from pavi_infra.program import main

main(Path(__file__).resolve().parent)
