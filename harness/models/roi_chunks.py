"""Mask heads evaluated a few dozen RoIs at a time at test time.

At test time a Mask or HTC stand-in runs its mask head on every detection: 8 images x 300 = 2,400
RoIs per batch, whose 28 x 28 maps make tensors of 0.5-0.6 GB. glibc serves allocations above 32 MB
with fresh ``mmap`` pages, so each such tensor costs page faults: measured on the Mask stand-in's
head (2,400 RoIs, one thread), 1.9 s user + 2.2 s system per batch; in chunks of 64 RoIs, 1.7 s +
0.3 s. Every layer of the head works on each RoI alone, and the outputs are bit-identical as long as
every chunk has at least 16 RoIs (below that torch's CPU convolutions take another path whose
results differ in the last bits; tests/test_roi_chunks.py), so a short last chunk joins the one
before it. HTC runs three such heads per batch. Training (gradients on) keeps the unchunked forward.
"""

import functools

import torch
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import FCNMaskHead
from mmdet.models.roi_heads.mask_heads.htc_mask_head import HTCMaskHead

ROI_CHUNK = 64
MIN_CHUNK = 16


def _rows(value, start: int, stop: int):
    """Rows ``start:stop`` of a per-RoI tensor; anything else unchanged."""
    return value[start:stop] if isinstance(value, torch.Tensor) and value.dim() > 0 else value


def _concatenate(parts: list):
    """Join the chunks' outputs: tensors along RoIs, tuples and lists element by element."""
    if isinstance(parts[0], torch.Tensor):
        return torch.cat(parts)
    return type(parts[0])(_concatenate(list(column)) for column in zip(*parts))


def chunk_bounds(rois: int) -> list[int]:
    """Chunk edges over ``rois`` rows: steps of ROI_CHUNK, a last chunk under MIN_CHUNK merged."""
    bounds = [*range(0, rois, ROI_CHUNK), rois]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < MIN_CHUNK:
        del bounds[-2]
    return bounds


def in_roi_chunks(forward):
    """Wrap a per-RoI ``forward(self, x, *args, **kwargs)`` (x: (R, C, H, W), tensor arguments with R
    rows) to run on ``ROI_CHUNK`` rows at a time when no gradient is being recorded."""

    @functools.wraps(forward)
    def chunked(self, x, *args, **kwargs):
        if torch.is_grad_enabled() or len(x) <= ROI_CHUNK:
            return forward(self, x, *args, **kwargs)
        bounds = chunk_bounds(len(x))
        parts = [forward(self, x[start:stop], *(_rows(a, start, stop) for a in args),
                         **{k: _rows(v, start, stop) for k, v in kwargs.items()})
                 for start, stop in zip(bounds, bounds[1:])]
        return _concatenate(parts)

    chunked.unchunked = forward
    return chunked


def install() -> None:
    """Chunk the test-time forward of mmdet's FCN mask head and HTC's (which overrides it)."""
    for head in (FCNMaskHead, HTCMaskHead):
        if not hasattr(head.forward, "unchunked"):
            head.forward = in_roi_chunks(head.forward)
