"""The phase algebra of a transposed convolution (NumPy only): which taps and pads each phase takes.

A `Conv2DTranspose` with stride `s` is `s*s` interleaved convolutions of its
input, one per output phase. `Axis` holds the arithmetic for one spatial axis;
`slot_kernel` and `coarse_kernel` rearrange a transposed kernel into the
single-convolution and polyphase forms. `kgan.export.onnx_rewrite` builds its
export-time rewrites on these, and `kgan.networks.layers` its training-time
phase form of the DCGAN's 4x4, stride-2 layers.

Derivation, per spatial axis, in TensorFlow's semantics. A transposed
convolution with kernel size `k`, stride `s`, input length `n` and output
length `L` (`n*s` for "same", `n*s + max(k-s, 0)` for "valid") pads its
*output* by `pb = max((n-1)*s + k - L, 0) // 2` before, and computes
`out[o] += in[i] * K[kk]` for `o = s*i + kk - pb`. Output phase `r`
(`o = s*q + r`) gets the taps `kk = c_r + s*t` (`c_r = (r + pb) mod s`,
`t = 0 .. T-1`, `T = ceil(k/s)`, `kk < k`) reading `in[q + d_r - t]` with
`d_r = (r + pb) // s`: a valid correlation with the kernel taps
`K[c_r + s*(T-1-j)]`, `j = 0 .. T-1`, of the input padded by `T - 1 - d_r`
before. For the DCGAN's `k=4, s=2, padding="same"` (`pb = 1`): phase 0 uses
taps (3, 1) with the input padded by 1 before, phase 1 taps (2, 0) padded by
1 after. (Keras stores the kernel as (kh, kw, filters, in_channels).)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Axis", "coarse_kernel", "slot_kernel"]


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a transposed convolution (see the module docstring).

    Example:
        >>> Axis.of(n=8, k=4, s=2, padding="same").phase(0)
        ([3, 1], 1, 0)
    """

    n: int  # input length
    k: int  # kernel size
    s: int  # stride
    out_len: int  # L
    pb: int  # output padding before

    @classmethod
    def of(cls, n: int, k: int, s: int, padding: str) -> Axis:
        out_len = n * s if padding == "same" else n * s + max(k - s, 0)
        pb = max((n - 1) * s + k - out_len, 0) // 2
        return cls(n=n, k=k, s=s, out_len=out_len, pb=pb)

    @property
    def taps(self) -> int:  # T
        return -(-self.k // self.s)

    @property
    def phases_len(self) -> int:  # Q: outputs per phase, padded to the longest phase
        return -(-self.out_len // self.s)

    @property
    def splittable(self) -> bool:
        """Every phase has at least one tap (false only when k < s)."""
        return self.k >= self.s

    @property
    def exact(self) -> bool:
        """All phases have the same length, so the phase stack has no padding entries."""
        return self.out_len % self.s == 0

    def phase(self, r: int) -> tuple[list[int], int, int]:
        """(kernel indices of the taps, pad before, pad after) of phase `r`'s own conv.

        Pads may be negative (a crop). Leading taps past the kernel are trimmed.
        """
        c_r, d_r = (r + self.pb) % self.s, (r + self.pb) // self.s
        taps = [c_r + self.s * (self.taps - 1 - j) for j in range(self.taps)]
        first = next((j for j, kk in enumerate(taps) if kk < self.k), len(taps))
        taps = taps[first:]
        before = self.taps - 1 - d_r - first
        after = self.phases_len - self.n + d_r
        return taps, before, after

    # The single-convolution form: one conv computes every phase on a shared grid.
    @property
    def crop(self) -> int:
        return self.pb % self.s

    @property
    def pad_before(self) -> int:
        return self.taps - 1 - self.pb // self.s

    @property
    def conv_len(self) -> int:
        return -(-(self.crop + self.out_len) // self.s)

    @property
    def pad_after(self) -> int:
        return self.conv_len + self.taps - 1 - self.n - self.pad_before

    def slot_taps(self) -> list[list[int]]:
        """slot_taps[slot][j]: the kernel index of tap j for depth_to_space slot `slot`."""
        table = [[-1] * self.taps for _ in range(self.s)]
        for r in range(self.s):
            c_r = (r + self.pb) % self.s
            for j in range(self.taps):
                kk = c_r + self.s * (self.taps - 1 - j)
                table[c_r][j] = kk if kk < self.k else -1
        return table


def slot_kernel(kernel: np.ndarray, rows: Axis, cols: Axis) -> np.ndarray:
    """(kh, kw, out, in) transposed kernel -> (T_h, T_w, in, s*s*out) single-conv kernel."""
    s, (_, _, c_out, c_in) = rows.s, kernel.shape
    weights = np.zeros((rows.taps, cols.taps, c_in, s * s * c_out), kernel.dtype)
    row_taps, col_taps = rows.slot_taps(), cols.slot_taps()
    for sy in range(s):
        for sx in range(s):
            block = slice((sy * s + sx) * c_out, (sy * s + sx + 1) * c_out)
            for jy, ky in enumerate(row_taps[sy]):
                for jx, kx in enumerate(col_taps[sx]):
                    if ky >= 0 and kx >= 0:
                        weights[jy, jx, :, block] = kernel[ky, kx].T
    return weights


def coarse_kernel(slot_kernel: np.ndarray, rows: Axis, cols: Axis, s1: int, c_in: int):
    """The single-conv kernel re-expressed on a phase stack of block `s1` (polyphase).

    Returns (kernel, (pad before, pad after) rows, cols): a conv of the phase
    stack whose output, `depth_to_space(s1 * s)`, equals the single-conv form's
    `depth_to_space(s)` output.
    """
    s2, c_out = rows.s, slot_kernel.shape[-1] // rows.s**2

    def axis_map(axis: Axis):
        lo = (0 - axis.pad_before) // s1
        hi = (s1 - 1 + axis.taps - 1 - axis.pad_before) // s1
        coarse_len = -(-axis.conv_len // s1)
        q = axis.n // s1
        return lo, hi - lo + 1, (-lo, coarse_len - 1 + hi - (q - 1))

    lo_y, taps_y, pad_y = axis_map(rows)
    lo_x, taps_x, pad_x = axis_map(cols)
    big = s1 * s2
    weights = np.zeros((taps_y, taps_x, s1 * s1 * c_in, big * big * c_out), slot_kernel.dtype)
    for jy in range(rows.taps):
        for ay in range(s1):
            ey = ay + jy - rows.pad_before
            dy, py = ey // s1 - lo_y, ey % s1
            for jx in range(cols.taps):
                for ax in range(s1):
                    ex = ax + jx - cols.pad_before
                    dx, px = ex // s1 - lo_x, ex % s1
                    ins = slice((py * s1 + px) * c_in, (py * s1 + px + 1) * c_in)
                    for sy in range(s2):
                        for sx in range(s2):
                            src = slice((sy * s2 + sx) * c_out, (sy * s2 + sx + 1) * c_out)
                            slot = (s2 * ay + sy) * big + (s2 * ax + sx)
                            dst = slice(slot * c_out, (slot + 1) * c_out)
                            weights[dy, dx, ins, dst] += slot_kernel[jy, jx, :, src]
    return weights, pad_y, pad_x
