"""S3 faults: the three jobs against moto behind a fault-injecting proxy, outputs byte for byte.

Every case copies the inputs (genome, indexes, request, variants) to its own prefix, so cases
run side by side through one proxy without sharing a fault. A fault fails the first
``FAULT_TIMES`` matching requests; the jobs' retries must then produce the clean run's bytes.
Each fault kind first runs with every kind of request faulted at once; only when that run fails
does each kind of request get a run of its own, so the table names which one broke.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reliability.core import (
    GENOME,
    Result,
    Rows,
    base_env,
    compare,
    error_line_problems,
    reap_marked,
    run,
    script,
    traceback_in,
)
from reliability.fixtures import (
    VARIANTS,
    Reference,
    example_entries,
    pavi_run,
    token,
    write_request,
)
from reliability.servers import CUT, DROP, LOST, Fault, FaultProxy, fault_proxy, moto_server

BUCKET = "reliability"
FAULT_TIMES = 2
KINDS = ("500 InternalError", "503 SlowDown", DROP, CUT, LOST)
#: A secret access key no output may ever show.
SECRET = "reliabilitySecretKey0123456789abcdefABCDEF"  # noqa: S105 (moto takes any key)
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class OpClass:
    """A kind of request the jobs make: methods and a path regex (``{p}``: the case's prefix)."""

    name: str
    methods: tuple[str, ...]
    path: str

    def regex(self, case: str) -> str:
        """The path regex of this class for one case."""
        return self.path.format(p=f"/{BUCKET}/{re.escape(case)}", c=re.escape(case))


CLASSES = (
    OpClass("genome index reads (.fai, .gzi)", READS, r"^{p}/in/genome\.fa\.gz\.(fai|gzi)(\?|$)"),
    OpClass("genome range reads", READS, r"^{p}/in/genome\.fa\.gz(\?|$)"),
    OpClass("request file reads", READS, r"^{p}/in/request\.json(\?|$)"),
    OpClass("variants file reads", READS, r"^{p}/in/variants\.json(\?|$)"),
    OpClass(
        "seqinfo/FASTA writes", ("PUT", "POST"), r"^{p}/work/[^/?]*-(protein\.fa|seqinfo\.json)"
    ),
    OpClass("alignment input reads (*-protein.fa)", READS, r"^{p}/work/[^/?]*-protein\.fa(\?|$)"),
    OpClass(
        "prefix listings", ("GET",), r"^/" + BUCKET + r"/?\?(?=.*list-type=2)(?=.*prefix={c}%2F)"
    ),
    OpClass(
        "alignment writes (input .fa, .aln)",
        ("PUT", "POST"),
        r"^{p}/(work/alignment-input\.fa|results/alignment-output\.aln)",
    ),
    OpClass(
        "merge reads (seqinfo, .aln)",
        READS,
        r"^{p}/(work/[^/?]*-seqinfo\.json|results/alignment-output\.aln)(\?|$)",
    ),
    OpClass(
        "merge writes (aligned_seq_info, report)",
        ("PUT", "POST"),
        r"^{p}/results/(aligned_seq_info\.json|report\.html)",
    ),
)


@dataclass
class S3Setup:
    """moto, the proxy, a raw client on moto (never through the proxy)."""

    moto: str
    proxy: FaultProxy
    client: Any

    def env(self, mark: str) -> dict[str, str]:
        """A job's environment: the proxy as the S3 endpoint, test credentials."""
        return base_env(
            mark,
            AWS_ENDPOINT_URL=self.proxy.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
        )

    def stage(self, case: str) -> None:
        """The case's own copy of the inputs under ``case/in/``."""
        for suffix in ("", ".fai", ".gzi"):
            self.client.put_object(
                Bucket=BUCKET,
                Key=f"{case}/in/genome.fa.gz{suffix}",
                Body=Path(f"{GENOME}{suffix}").read_bytes(),
            )
        entries = [
            dict(e, fasta_file_url=f"s3://{BUCKET}/{case}/in/genome.fa.gz")
            for e in example_entries()
        ]
        self.client.put_object(
            Bucket=BUCKET, Key=f"{case}/in/request.json", Body=json.dumps(entries)
        )
        self.client.put_object(
            Bucket=BUCKET, Key=f"{case}/in/variants.json", Body=VARIANTS.read_bytes()
        )

    def outputs(self, case: str) -> dict[str, bytes]:
        """Objects under ``case/work/`` and ``case/results/`` (name -> bytes)."""
        found: dict[str, bytes] = {}
        for folder in ("work", "results"):
            listing = self.client.list_objects_v2(Bucket=BUCKET, Prefix=f"{case}/{folder}/")
            for item in listing.get("Contents", []):
                body = self.client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
                found[item["Key"].split("/", 1)[1]] = body
        return found


@contextlib.contextmanager
def s3_setup() -> Iterator[S3Setup]:
    """moto in server mode, a bucket, and the fault proxy in front of it."""
    import boto3  # noqa: PLC0415 (only this probe needs it)

    with moto_server() as moto, fault_proxy(moto) as proxy:
        client = boto3.client(
            "s3",
            endpoint_url=moto,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 (moto's test credentials)
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=BUCKET)
        yield S3Setup(moto, proxy, client)


def run_jobs(setup: S3Setup, case: str) -> list[Result]:
    """The three jobs of the pipeline on the case's prefix; stops at the first failure."""
    base = f"s3://{BUCKET}/{case}"
    work, results, request = f"{base}/work/", f"{base}/results/", f"{base}/in/request.json"
    commands = [
        [
            script("pavi-seq-retrieval"),
            *("--request", request, "--entries", "0-5", "--output-type", "protein"),
            *("--output-prefix", work, "--variants-file", f"{base}/in/variants.json"),
        ],
        [script("pavi-alignment"), "--work-prefix", work, "--results-prefix", results],
        [
            script("pavi-seqinfo-align"),
            *("--work-prefix", work, "--results-prefix", results, "--request", request),
        ],
    ]
    mark = token()
    done: list[Result] = []
    for argv in commands:
        result = run(argv, setup.env(mark), timeout=120)
        done.append(result)
        if result.code != 0:
            break
    reap_marked(mark)
    return done


def _faults_for(setup: S3Setup, case: str, kind: str, ops: list[OpClass]) -> list[Fault]:
    # A HEAD answer has no body to cut: a cut fails only GETs.
    faults = []
    for op in ops:
        methods = tuple(m for m in op.methods if not (kind == CUT and m == "HEAD"))
        faults.append(setup.proxy.add(methods, op.regex(case), kind, FAULT_TIMES))
    return faults


def _run_case(
    setup: S3Setup, clean: dict[str, bytes], case: str, kind: str, ops: list[OpClass]
) -> tuple[list[Fault], list[str]]:
    """Stage the case, fault every class of ``ops`` at once, run the jobs; problems found."""
    setup.stage(case)
    faults = _faults_for(setup, case, kind, ops)
    results = run_jobs(setup, case)
    problems = []
    failed = next((r for r in results if r.code != 0), None)
    if failed is not None:
        problems.append(f"{Path(failed.argv[0]).name} {failed.describe()}")
    elif len(results) == 3:
        problems += compare(clean, setup.outputs(case))
    if any(traceback_in(r.stderr) for r in results):
        problems.append("a traceback")
    return faults, problems


def _kind_rows(
    setup: S3Setup, clean: dict[str, bytes], number: int, kind: str, ops: list[OpClass]
) -> list[tuple[str, bool, str]]:
    """One run with every class faulted; on a failure, one run per class to say which."""
    faults, problems = _run_case(setup, clean, f"k{number}", kind, ops)
    rows = []
    for c, (op, combined) in enumerate(zip(ops, faults, strict=True)):
        fault, mine = combined, list[str]()
        if problems:
            (fault,), mine = _run_case(setup, clean, f"k{number}-c{c}", kind, [op])
        if fault.hits < FAULT_TIMES:
            mine = [f"only {fault.hits} of {FAULT_TIMES} faults injected", *mine]
        detail = (
            "; ".join(mine[:3])
            if mine
            else (f"{fault.hits} injected, 3 jobs exit 0, {len(clean)} objects identical")
        )
        rows.append((f"{kind} on {op.name}", not mine, detail))
    return rows


def probe_s3_faults(ref: Reference, rows: Rows, setup: S3Setup) -> None:
    """A clean S3 run, then every fault kind on every kind of request the jobs make."""
    name = "S3 faults"
    setup.stage("clean")
    clean_results = run_jobs(setup, "clean")
    clean = setup.outputs("clean")
    diff = compare(ref.outputs, clean)
    ok = all(r.code == 0 for r in clean_results) and not diff
    rows.add(
        name,
        "clean run through the proxy = local clean run (byte for byte)",
        ok,
        "; ".join([r.describe() for r in clean_results if r.code != 0] + diff[:3])
        or f"{len(clean)} objects identical",
    )
    if not ok:
        return
    exercised = [op for op in CLASSES if setup.proxy.matching(op.methods, op.regex("clean"))]
    for op in CLASSES:
        if op not in exercised:
            rows.add(name, f"{op.name} happen", False, "no such request in the clean run")
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(
            pool.map(lambda k: _kind_rows(setup, clean, k, KINDS[k], exercised), range(len(KINDS)))
        )
    for checked, held, detail in (row for kind_rows in outcomes for row in kind_rows):
        rows.add(name, checked + ": retried to identical outputs", held, detail)


def probe_secret(root: Path, rows: Rows, setup: S3Setup) -> None:
    """A failing ``s3://`` genome read: no presigned URL or secret key in any output.

    Run as it is, and (where ``pavi run`` has ``--no-preflight``) with the genome read by the
    retrieval job instead of a check before the run.
    """
    case = "secret"
    setup.stage(case)
    setup.proxy.add(READS, rf"^/{BUCKET}/{case}/in/genome", "403 AccessDenied", 10_000)
    request = write_request(
        root / "secret" / "request.json",
        example_entries()[:2],
        f"s3://{BUCKET}/{case}/in/genome.fa.gz",
    )
    variants: list[tuple[str, tuple[str, ...]]] = [("", ())]
    if "--no-preflight" in run([script("pavi"), "run", "--help"], base_env(token())).stdout:
        variants.append((" (--no-preflight: read by the job)", ("--no-preflight",)))
    for label, options in variants:
        out = root / "secret" / f"out{len(options)}"
        mark = token()
        result = pavi_run(request, out, *options, mark=mark, env=setup.env(mark), timeout=120)
        reap_marked(mark)
        texts = [result.stdout, result.stderr]
        texts += [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
        leaks = [
            w
            for w in ("x-amz-", SECRET.lower(), "signature=")
            if any(w in t.lower() for t in texts)
        ]
        problems = [] if result.code not in (0, None) else [f"exit {result.code}"]
        problems += error_line_problems(result, [r"genome|fasta|access|denied|403"])
        if traceback_in(result.stderr):
            problems.append("a traceback")
        problems += [f"output shows {w!r}" for w in leaks]
        rows.add(
            "bad input",
            f"failing s3:// read{label}: no X-Amz-/secret in any output, one line",
            not problems,
            result.describe() + (f"; {'; '.join(problems[:3])}" if problems else ""),
        )
