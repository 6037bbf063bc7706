"""kgan.networks.phases: each phase's taps and pads agree with the transposed convolution's sum."""

from __future__ import annotations

import itertools

import pytest

from kgan.networks import layers
from kgan.networks.phases import Axis


def _direct(n: int, k: int, s: int, padding: str) -> dict[int, set[tuple[int, int]]]:
    """Output index -> {(input index, kernel index)} of `out[o] += in[i] * K[kk]`."""
    axis = Axis.of(n, k, s, padding)
    terms: dict[int, set[tuple[int, int]]] = {o: set() for o in range(axis.out_len)}
    for i, kk in itertools.product(range(n), range(k)):
        o = s * i + kk - axis.pb
        if 0 <= o < axis.out_len:
            terms[o].add((i, kk))
    return terms


@pytest.mark.parametrize(
    "n,k,s,padding",
    [(n, k, s, p) for n in (1, 3, 4) for k in (2, 3, 4, 5) for s in (1, 2, 3)
     for p in ("same", "valid") if k >= s],
)  # fmt: skip
def test_each_phase_is_a_valid_correlation_of_the_padded_input(n, k, s, padding):
    axis = Axis.of(n, k, s, padding)
    direct = _direct(n, k, s, padding)
    for r in range(s):
        taps, before, _ = axis.phase(r)
        for q in range(axis.phases_len):
            o = s * q + r
            if o >= axis.out_len:
                continue
            # Tap j of the correlation reads padded[q + j], i.e. input q + j - before.
            got = {(q + j - before, kk) for j, kk in enumerate(taps)}
            assert {t for t in got if 0 <= t[0] < n} == direct[o], (r, q)


def test_the_training_phase_form_reads_its_taps_from_the_algebra():
    assert layers._PHASE_TAPS == ((3, 1, 4), (4, 2, 0))
