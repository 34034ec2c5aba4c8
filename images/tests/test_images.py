"""Smoke tests of the built job images: metadata, contents, and real jobs run inside them.

Each job is run twice, once in its image and once with the workspace's console scripts on this
machine, and the outputs must be byte for byte the same. Run by `nox -s images` only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from pavi_images import JOBS, ROOT
from pavi_images.build import SIZE_BUDGET, version
from pavi_images.engine import Engine
from pavi_images.rangeserver import RequestLog

FOLDERS = list(JOBS)
Proc = subprocess.CompletedProcess[str]
RunContainer = Callable[..., Proc]
RunHost = Callable[[str, Sequence[str]], Proc]
RETRIEVAL = JOBS["seq_retrieval"][1]
ALIGNMENT = JOBS["alignment"][1]
MERGE = JOBS["seqinfo_align"][1]
Dir = Callable[[str], Path]
Tree = Callable[[Path], dict[str, bytes]]


@pytest.mark.parametrize("folder", FOLDERS)
def test_image_metadata(engine: Engine, images: dict[str, str], folder: str) -> None:
    """OCI labels name the package and version; non-root user; the script is the entrypoint."""
    inspect = json.loads(engine.run("image", "inspect", images[folder]).stdout)[0]
    config = inspect.get("Config") or inspect["ContainerConfig"]
    labels = config["Labels"]
    distribution, script = JOBS[folder]
    assert labels["org.opencontainers.image.title"] == distribution
    assert labels["org.opencontainers.image.version"] == version(folder)
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert labels["org.opencontainers.image.description"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == [script]
    assert config["Cmd"] == ["--help"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_image_size_within_budget(engine: Engine, images: dict[str, str], folder: str) -> None:
    """Each image stays within 250 MB uncompressed."""
    size = engine.image_size(images[folder])
    assert size <= SIZE_BUDGET, f"{images[folder]} is {size / 1e6:.1f} MB"


@pytest.mark.parametrize("folder", FOLDERS)
def test_default_command_prints_help(
    run_container: RunContainer, images: dict[str, str], folder: str
) -> None:
    """`docker run IMAGE` answers with the job's usage, as the non-root user."""
    proc = run_container(images[folder])
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: {JOBS[folder][1]}" in proc.stdout


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_compilers_pip_or_aws_cli(
    run_container: RunContainer, images: dict[str, str], folder: str
) -> None:
    """The final image has no compiler, no pip/setuptools, no AWS CLI; runs as uid 10001."""
    probe = (
        "id -u; for t in gcc cc c++ make aws pip pip3; do command -v $t; done; "
        'python3 -c \'import importlib.util as u; print(u.find_spec("pip"), '
        'u.find_spec("setuptools"))\''
    )
    proc = run_container(images[folder], ["-c", probe], entrypoint="sh")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["10001", "None", "None"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_job_modules_are_compiled(
    run_container: RunContainer, images: dict[str, str], folder: str
) -> None:
    """The job's package ships its .pyc files (the venv is read-only at run time)."""
    module = JOBS[folder][0].replace("-", "_")
    probe = (
        f"import importlib.util as u, os; p = os.path.dirname(u.find_spec('{module}').origin); "
        "print(any(n.endswith('.pyc') for n in os.listdir(os.path.join(p, '__pycache__'))))"
    )
    proc = run_container(images[folder], ["-c", probe], entrypoint="python3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"]


def test_alignment_image_has_clustalo_124(
    run_container: RunContainer, images: dict[str, str]
) -> None:
    """Debian's clustalo 1.2.4 is on PATH in the alignment image."""
    proc = run_container(images["alignment"], ["--version"], entrypoint="clustalo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.2.4"


def test_seq_retrieval_image_has_ca_certificates_and_no_libcurl(
    run_container: RunContainer, images: dict[str, str]
) -> None:
    """https genomes need the CA bundle; libcurl is gone (pysam reads local files only)."""
    probe = (
        "import ctypes.util, os; "
        "print(os.path.getsize('/etc/ssl/certs/ca-certificates.crt') > 0, "
        "ctypes.util.find_library('curl'))"
    )
    proc = run_container(images["seq_retrieval"], ["-c", probe], entrypoint="python3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True None"


def _retrieval(entry: dict[str, object], out: Path, variants: Path) -> list[str]:
    """The retrieval job's arguments (the image's entrypoint supplies the script)."""
    return [
        "--entry",
        json.dumps(entry, separators=(",", ":")),
        "--output-type",
        "protein",
        "--output-prefix",
        str(out),
        "--variants-file",
        str(variants),
    ]


def test_seq_retrieval_local_genome(
    run_container: RunContainer,
    run_host: RunHost,
    images: dict[str, str],
    example: Any,
    writable_dir: Dir,
    tree: Tree,
) -> None:
    """Every example entry, genome mounted read-only: same FASTA and seqinfo as on the host."""
    host_out, ctr_out = writable_dir("host"), writable_dir("container")
    mounts = [(example.genome_dir, "ro"), (example.variants, "ro"), (ctr_out, "rw")]
    for entry in example.entries:
        host = run_host(RETRIEVAL, _retrieval(entry, host_out, example.variants))
        assert host.returncode == 0, host.stderr
        ctr = run_container(
            images["seq_retrieval"], _retrieval(entry, ctr_out, example.variants), mounts
        )
        assert ctr.returncode == 0, ctr.stderr
    host_files = tree(host_out)
    assert len(host_files) == 2 * len(example.entries)
    assert tree(ctr_out) == host_files


def test_seq_retrieval_over_http(
    run_container: RunContainer,
    run_host: RunHost,
    images: dict[str, str],
    example: Any,
    writable_dir: Dir,
    tree: Tree,
    http_genome: tuple[str, RequestLog],
) -> None:
    """The genome read over HTTP (the package's BGZF reader in the image) from a host server."""
    base_url, log = http_genome
    entries = [
        {**entry, "fasta_file_url": f"{base_url}/{Path(entry['fasta_file_url']).name}"}
        for entry in example.entries[:2]
    ]
    host_out, ctr_out = writable_dir("host"), writable_dir("container")
    for entry in entries:
        host = run_host(RETRIEVAL, _retrieval(entry, host_out, example.variants))
        assert host.returncode == 0, host.stderr
    served_to_host = len(log.entries)
    for entry in entries:
        ctr = run_container(
            images["seq_retrieval"],
            _retrieval(entry, ctr_out, example.variants),
            [(example.variants, "ro"), (ctr_out, "rw")],
            host_network=True,
        )
        assert ctr.returncode == 0, ctr.stderr
    genome_name = Path(entries[0]["fasta_file_url"]).name
    container_gets = [e for e in log.entries[served_to_host:] if e[1] == f"/{genome_name}"]
    assert container_gets, "the container never requested the genome over HTTP"
    assert all(status in {200, 206} for _, _, _, status in log.entries)
    assert tree(ctr_out) == tree(host_out)
    assert len(tree(host_out)) == 2 * len(entries)


def test_alignment_on_protein_set(
    run_container: RunContainer,
    run_host: RunHost,
    images: dict[str, str],
    testdata: Path,
    writable_dir: Dir,
    tree: Tree,
) -> None:
    """Clustal Omega in the image aligns a FASTA set exactly as on the host."""
    fastas = sorted((testdata / "cases/syn-indels/expected").glob("*-protein.fa"))
    runs = {}
    for name in ("host", "container"):
        work, results = writable_dir(f"{name}/work"), writable_dir(f"{name}/results")
        for fasta in fastas:
            shutil.copy(fasta, work / fasta.name)
        args = ["--work-prefix", str(work), "--results-prefix", str(results)]
        if name == "host":
            proc = run_host(ALIGNMENT, args)
        else:
            mounts = [(work, "rw"), (results, "rw")]
            proc = run_container(images["alignment"], args, mounts)
        assert proc.returncode == 0, proc.stderr
        runs[name] = (tree(work), tree(results))
    assert "alignment-output.aln" in runs["host"][1]
    assert runs["container"] == runs["host"]


def test_seqinfo_align_on_example_outputs(
    run_container: RunContainer,
    run_host: RunHost,
    images: dict[str, str],
    example: Any,
    writable_dir: Dir,
    tree: Tree,
) -> None:
    """The merge job in its image, on the example's work files and alignment, as on the host."""
    work, results = writable_dir("work"), writable_dir("results")
    for entry in example.entries:
        assert run_host(RETRIEVAL, _retrieval(entry, work, example.variants)).returncode == 0
    align = ["--work-prefix", str(work), "--results-prefix", str(results)]
    assert run_host(ALIGNMENT, align).returncode == 0
    ctr_results = writable_dir("container")
    shutil.copy(results / "alignment-output.aln", ctr_results / "alignment-output.aln")

    def merge(out: Path) -> list[str]:
        return ["--work-prefix", str(work), "--results-prefix", str(out)]

    host = run_host(MERGE, merge(results))
    assert host.returncode == 0, host.stderr
    ctr = run_container(
        images["seqinfo_align"], merge(ctr_results), [(work, "ro"), (ctr_results, "rw")]
    )
    assert ctr.returncode == 0, ctr.stderr
    host_files = tree(results)
    assert "aligned_seq_info.json" in host_files
    assert tree(ctr_results) == host_files


def test_bad_input_is_one_line_exit_2(run_container: RunContainer, images: dict[str, str]) -> None:
    """Inside the image too, a bad entry is one `<command>: error:` line and exit code 2."""
    proc = run_container(images["seq_retrieval"], ["--entry", "{}", "--output-prefix", "/tmp"])
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("pavi-seq-retrieval: error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("folder", FOLDERS)
def test_dockerfile_matches_package(folder: str) -> None:
    """Context = the wheelhouse only; default VERSION = pyproject's (a plain `docker build`)."""
    ignore = (ROOT / "packages" / folder / ".dockerignore").read_text().split("\n")
    assert [line for line in ignore if line and not line.startswith("#")] == [
        "*",
        "!wheelhouse/*.whl",
        "!wheelhouse/requirements.txt",
    ]
    dockerfile = (ROOT / "packages" / folder / "Dockerfile").read_text()
    assert dockerfile.count(f"ARG VERSION={version(folder)}\n") == 2
    assert f'"{JOBS[folder][0]}==${{VERSION}}"' in dockerfile
    assert "--no-index --find-links /wheelhouse" in dockerfile
    # Compiled bytecode stays in every image: no job compiles its imports at start.
    assert "--no-compile" not in dockerfile
    assert "__pycache__" not in dockerfile
