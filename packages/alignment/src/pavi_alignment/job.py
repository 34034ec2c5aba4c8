"""The alignment job: work prefix's sequence files → clustalo → alignment-output.aln."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pavi_common_s3 as storage
from pavi_common_s3.joblog import JobError, log

from pavi_alignment.clustalo import (
    EXPECTED_VERSION,
    INPUT_NAME,
    OUTPUT_NAME,
    clustalo_command,
    clustalo_version,
    find_clustalo,
    run_clustalo,
)
from pavi_alignment.inputs import SEQ_PATTERNS, concatenate, list_sequence_files

JOB = "pavi-alignment"


def run(work_prefix: str, results_prefix: str, seq_type: str, threads: int) -> None:
    """Align the sequences under ``work_prefix``; write the alignment to ``results_prefix``."""
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

    executable = find_clustalo()
    version = clustalo_version(executable)
    command = clustalo_command(executable, seq_type, threads)
    log(
        JOB,
        "start",
        clustalo=executable,
        clustalo_version=version,
        expected_version=version == EXPECTED_VERSION,
        threads=threads,
        files=len(uris),
        sequences=records,
        input_bytes=len(alignment_input.data),
    )
    storage.write_bytes(
        storage.join(work_prefix, INPUT_NAME), alignment_input.data, tags=storage.WORK_TAGS
    )

    with tempfile.TemporaryDirectory(prefix="pavi-alignment-") as tmp:
        workdir = Path(tmp)
        (workdir / INPUT_NAME).write_bytes(alignment_input.data)
        started = time.monotonic()
        alignment = run_clustalo(command, workdir)
        seconds = round(time.monotonic() - started, 3)

    output_uri = storage.join(results_prefix, OUTPUT_NAME)
    storage.write_bytes(output_uri, alignment)
    log(JOB, "done", output=output_uri, output_bytes=len(alignment), clustalo_seconds=seconds)
