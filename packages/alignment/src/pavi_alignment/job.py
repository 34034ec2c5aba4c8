"""The alignment job: work prefix's sequence files → clustalo → alignment-output.aln."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pavi_common_s3 as storage
from pavi_contracts.files import ALIGNMENT_INPUT as INPUT_NAME
from pavi_contracts.files import ALIGNMENT_OUTPUT as OUTPUT_NAME
from pavi_contracts.harness import JobError, log
from pavi_contracts.jobs import ALIGNMENT
from pavi_contracts.tags import WORK_TAGS

from pavi_alignment.clustalo import (
    EXPECTED_VERSION,
    clustalo_command,
    clustalo_version,
    find_clustalo,
    run_clustalo,
)
from pavi_alignment.inputs import SEQ_PATTERNS, concatenate, list_sequence_files
from pavi_alignment.threads import Threads, explicit_threads, max_threads, policy_threads

JOB = ALIGNMENT.script
SeqType = Literal["protein", "dna"]


@dataclass(frozen=True)
class AlignmentOptions:
    """What one alignment run needs (``threads`` None: the thread policy for the input's size)."""

    work_prefix: str
    results_prefix: str
    seq_type: SeqType = "protein"
    threads: int | None = None


def run(options: AlignmentOptions) -> None:
    """Align the sequences under the work prefix; write the alignment to the results prefix.

    Threads: ``options.threads`` (``--threads``), else ``$PAVI_ALIGNMENT_THREADS``, else the
    thread policy for the input's size, capped by ``$PAVI_ALIGNMENT_MAX_THREADS``.
    """
    work_prefix, results_prefix = options.work_prefix, options.results_prefix
    seq_type = options.seq_type
    explicit, cap = explicit_threads(options.threads), max_threads()  # checked before any work
    uris = list_sequence_files(work_prefix, seq_type)
    if not uris:
        raise JobError(f"no {SEQ_PATTERNS[seq_type]} files under {work_prefix}: nothing to align")
    alignment_input = concatenate(uris)
    records = alignment_input.records
    for uri in alignment_input.empty_files:
        log(JOB, "empty_input_file", uri=uri, note="zero bytes: adds nothing")
    if records < 2:
        raise JobError(
            f"{records} sequence{'' if records == 1 else 's'} in {len(uris)} "
            f"{SEQ_PATTERNS[seq_type]} file{'' if len(uris) == 1 else 's'} under {work_prefix}: "
            "Clustal Omega needs at least 2 sequences to align"
        )

    residues = alignment_input.residues
    chosen = explicit or Threads(policy_threads(records, residues, cap=cap), "policy")
    executable = find_clustalo()
    version = clustalo_version(executable)
    command = clustalo_command(executable, seq_type, chosen.count)
    log(
        JOB,
        "start",
        clustalo=executable,
        clustalo_version=version,
        expected_version=version == EXPECTED_VERSION,
        threads=chosen.count,
        threads_from=chosen.source,
        files=len(uris),
        sequences=records,
        residues=residues,
        input_bytes=len(alignment_input.data),
    )
    with tempfile.TemporaryDirectory(prefix="pavi-alignment-") as tmp:
        workdir = Path(tmp)
        (workdir / INPUT_NAME).write_bytes(alignment_input.data)
        started = time.monotonic()
        alignment = run_clustalo(command, workdir)
        seconds = round(time.monotonic() - started, 3)

    # Both outputs together or not at all, the alignment (what the merge reads) last.
    output_uri = storage.join(results_prefix, OUTPUT_NAME)
    input_uri = storage.join(work_prefix, INPUT_NAME)
    storage.write_all(
        [
            storage.Output(input_uri, alignment_input.data, WORK_TAGS),
            storage.Output(output_uri, alignment),
        ]
    )
    log(JOB, "done", output=output_uri, output_bytes=len(alignment), clustalo_seconds=seconds)
