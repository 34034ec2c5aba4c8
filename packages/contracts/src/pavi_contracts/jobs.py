"""The one table of the pipeline's jobs: every other place iterates it instead of naming jobs.

Standard library only (``noxfile.py`` and the image tooling read it from the source tree).
A job's console script is also its image repository and the image's ``ENTRYPOINT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Step = Literal["retrieval", "alignment", "merge"]
Prefix = Literal["work", "results"]


@dataclass(frozen=True)
class Output:
    """A file a job declares: which prefix it lands in and its name (``{entry}`` per entry,
    ``{type}`` the output type: ``protein`` or ``transcript``)."""

    prefix: Prefix
    name: str

    def for_entry(self, entry_id: str, output_type: str = "protein") -> str:
        """The name with ``{entry}`` and ``{type}`` filled in."""
        return self.name.replace("{entry}", entry_id).replace("{type}", output_type)


@dataclass(frozen=True)
class Job:
    """One step of the pipeline and every name it goes by."""

    step: Step
    #: Console script = image repository = image ``ENTRYPOINT``.
    script: str
    #: The distribution that installs the script.
    distribution: str
    #: The package folder under ``packages/`` (the image's build context).
    folder: str
    #: Key of the job's settings in the Pulumi stack config (``pavi:jobs``).
    config_key: str
    #: The Task state that runs the job in the state machine.
    state_name: str
    #: What the job writes.
    outputs: tuple[Output, ...]
    #: Whether the job reads genomes (network access to genome hosts and the variant API).
    reads_genomes: bool = False

    @property
    def image(self) -> str:
        """The image repository name."""
        return self.script

    @property
    def job_name_prefix(self) -> str:
        """Batch job names of this step start with this (the client reads the step back)."""
        return f"{self.script}-"

    @property
    def failed_state(self) -> str:
        """The Fail state the step's Catch goes to."""
        return f"{self.step.capitalize()}Failed"


RETRIEVAL: Final = Job(
    step="retrieval",
    script="pavi-seq-retrieval",
    distribution="pavi-seq-retrieval",
    folder="seq_retrieval",
    config_key="seqRetrieval",
    state_name="RetrieveChunk",
    outputs=(Output("work", "{entry}-{type}.fa"), Output("work", "{entry}-seqinfo.json")),
    reads_genomes=True,
)
ALIGNMENT: Final = Job(
    step="alignment",
    script="pavi-alignment",
    distribution="pavi-alignment",
    folder="alignment",
    config_key="alignment",
    state_name="AlignSequences",
    outputs=(Output("work", "alignment-input.fa"), Output("results", "alignment-output.aln")),
)
MERGE: Final = Job(
    step="merge",
    script="pavi-seqinfo-align",
    distribution="pavi-seqinfo-align",
    folder="seqinfo_align",
    config_key="seqinfoAlign",
    state_name="MergeSeqInfo",
    outputs=(Output("results", "aligned_seq_info.json"), Output("results", "report.html")),
)

#: The jobs in execution order.
JOBS: Final[tuple[Job, ...]] = (RETRIEVAL, ALIGNMENT, MERGE)
#: Distributions of the project that are not jobs.
LIBRARIES: Final = ("pavi-contracts", "pavi-common-s3", "pavi-workflow")


def job(step: str) -> Job:
    """The job of a step; KeyError naming the known steps otherwise."""
    for candidate in JOBS:
        if candidate.step == step:
            return candidate
    raise KeyError(f"unknown step {step!r} (one of {', '.join(j.step for j in JOBS)})")
