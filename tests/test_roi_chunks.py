"""Mask heads run in RoI chunks at test time give the unchunked outputs bit for bit."""

import pytest
import torch
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import FCNMaskHead
from mmdet.models.roi_heads.mask_heads.htc_mask_head import HTCMaskHead

from harness.models import roi_chunks


def _features(rois: int) -> torch.Tensor:
    return torch.randn(rois, 8, 14, 14, generator=torch.Generator().manual_seed(0))


def test_fcn_head_chunks_equal_one_pass():
    torch.manual_seed(0)
    head = FCNMaskHead(num_convs=2, in_channels=8, conv_out_channels=8, num_classes=5).eval()
    x = _features(2 * roi_chunks.ROI_CHUNK + 7)  # a full chunk and one of 71 rows
    with torch.no_grad():
        chunked = head(x)
        whole = FCNMaskHead.forward.unchunked(head, x)
    assert chunked.shape == (len(x), 5, 28, 28)
    assert torch.equal(chunked, whole)


@pytest.mark.parametrize("kwargs", [{}, {"return_logits": False}, {"return_feat": False}])
def test_htc_head_chunks_equal_one_pass_with_the_residual_feature(kwargs):
    torch.manual_seed(0)
    head = HTCMaskHead(with_conv_res=True, num_convs=2, in_channels=8, conv_out_channels=8, num_classes=5).eval()
    x, res_feat = _features(roi_chunks.ROI_CHUNK + 20), _features(roi_chunks.ROI_CHUNK + 20) * 0.5
    with torch.no_grad():
        chunked = head(x, res_feat, **kwargs)
        whole = HTCMaskHead.forward.unchunked(head, x, res_feat, **kwargs)
    chunked, whole = (list(v) if isinstance(v, (list, tuple)) else [v] for v in (chunked, whole))
    assert len(chunked) == len(whole) == (2 if not kwargs else 1)
    assert all(torch.equal(a, b) and len(a) == len(x) for a, b in zip(chunked, whole))


def test_chunks_are_never_shorter_than_the_minimum():
    chunk, least = roi_chunks.ROI_CHUNK, roi_chunks.MIN_CHUNK
    assert roi_chunks.chunk_bounds(2 * chunk + 7) == [0, chunk, 2 * chunk + 7]  # 7 rows join the last chunk
    assert roi_chunks.chunk_bounds(2 * chunk + least) == [0, chunk, 2 * chunk, 2 * chunk + least]
    assert roi_chunks.chunk_bounds(chunk) == [0, chunk]


@pytest.mark.parametrize("rois", [16, 17, 64, 100])
def test_conv_rows_of_a_chunk_of_the_minimum_size_equal_a_bigger_batchs(rois):
    # What MIN_CHUNK relies on: a head's rows for a batch of >= 16 RoIs equal the same rows of a bigger
    # batch (for fewer RoIs, torch may take another convolution path: measured unequal for 1-15).
    torch.manual_seed(0)
    head = FCNMaskHead(num_convs=2, in_channels=64, conv_out_channels=64, num_classes=40).eval()
    x = torch.randn(200, 64, 14, 14, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        same = torch.equal(FCNMaskHead.forward.unchunked(head, x[:rois]), FCNMaskHead.forward.unchunked(head, x)[:rois])
    assert same


def test_training_forward_is_not_chunked(monkeypatch):
    calls = []
    unchunked = FCNMaskHead.forward.unchunked
    monkeypatch.setattr(FCNMaskHead.forward, "unchunked", unchunked)
    head = FCNMaskHead(num_convs=0, in_channels=8, conv_out_channels=8, num_classes=5)
    original = roi_chunks.in_roi_chunks(lambda self, x: calls.append(len(x)) or unchunked(self, x))
    x = _features(3 * roi_chunks.ROI_CHUNK)
    original(head, x)  # gradients on: one call over every RoI
    with torch.no_grad():
        original(head, x)  # three chunks
    assert calls == [len(x), roi_chunks.ROI_CHUNK, roi_chunks.ROI_CHUNK, roi_chunks.ROI_CHUNK]
