"""The hand-written standard code and complement agree with Biopython's (the reference)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from Bio.Data.CodonTable import TranslationError, unambiguous_dna_by_name
from Bio.Seq import reverse_complement as _bio_reverse_complement
from Bio.Seq import translate as _bio_translate
from pavi_seq_retrieval.codons import (
    STANDARD_CODE,
    START_CODONS,
    STOP_CODONS,
    reverse_complement,
)
from pavi_seq_retrieval.model import TRANSLATION_FAILED, RecordedError
from pavi_seq_retrieval.translate import translate

BIO_TABLE = unambiguous_dna_by_name["Standard"]
bio_reverse_complement: Callable[[str], Any] = _bio_reverse_complement
bio_translate: Callable[..., Any] = _bio_translate


def test_standard_code_equals_ncbi_table_1() -> None:
    expected = {**BIO_TABLE.forward_table, **dict.fromkeys(BIO_TABLE.stop_codons, "*")}
    assert expected == STANDARD_CODE
    assert len(STANDARD_CODE) == 64
    assert set(BIO_TABLE.start_codons) == START_CODONS
    assert set(BIO_TABLE.stop_codons) == STOP_CODONS


def test_reverse_complement_matches_biopython_on_iupac_and_case() -> None:
    letters = "ACGTMRWSYKVHDBNacgtmrwsykvhdbn"
    rng = random.Random(7)
    for _ in range(200):
        seq = "".join(rng.choice(letters) for _ in range(rng.randrange(0, 40)))
        assert reverse_complement(seq) == str(bio_reverse_complement(seq))


@pytest.mark.parametrize("seed", range(20))
def test_translate_matches_biopython_to_stop(seed: int) -> None:
    rng = random.Random(seed)
    seq = "".join(rng.choice("ACGTacgt") for _ in range(rng.randrange(0, 300)))
    whole = seq[: len(seq) // 3 * 3]
    assert translate(seq) == str(bio_translate(whole, table=BIO_TABLE, to_stop=True))


def test_translate_fails_like_biopython_on_ambiguous_codons_before_the_stop() -> None:
    for codon in ("".join(c) for c in itertools.product("ACGTN", repeat=3)):
        if "N" not in codon:
            continue
        with pytest.raises(TranslationError):
            bio_translate("ATG" + codon, table=BIO_TABLE, to_stop=True)
        with pytest.raises(RecordedError, match=TRANSLATION_FAILED):
            translate("ATG" + codon)
    assert translate("ATGTAANCA") == "M"
