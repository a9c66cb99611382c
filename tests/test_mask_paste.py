"""The whole-image mask paste equals mmdet's one-mask-at-a-time CPU paste, pixel for pixel."""

import pytest
import torch
from mmengine.config import ConfigDict

from harness.models import mask_paste
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import FCNMaskHead


def _boxes(generator: torch.Generator, n: int, size: int) -> torch.Tensor:
    """(n, 4) xyxy boxes: random ones (some larger than the 28-px mask), ones touching or crossing the
    border, and a zero-width one."""
    xy = torch.rand(n, 2, generator=generator) * size
    wh = torch.rand(n, 2, generator=generator) * size * 0.8
    boxes = torch.cat([xy, xy + wh], dim=1)
    boxes[0] = torch.tensor([0.0, 0.0, size, size])
    boxes[1] = torch.tensor([size - 3.3, 2.2, size + 1.0, 9.9])
    boxes[2] = torch.tensor([5.0, 5.0, 5.0, 12.5])
    return boxes




@pytest.mark.parametrize("threshold", [0.5, 0.0])
@pytest.mark.parametrize("rescale", [True, False])
def test_whole_image_paste_equals_mmdet(threshold, rescale):
    generator = torch.Generator().manual_seed(0)
    head = FCNMaskHead(num_convs=0, in_channels=4, conv_out_channels=4, num_classes=3)
    n = 40
    mask_preds = torch.randn(n, 3, 28, 28, generator=generator) * 3
    boxes, labels = _boxes(generator, n, 60), torch.randint(0, 3, (n,), generator=generator)
    meta = {"ori_shape": (64, 60), "scale_factor": (1.0, 1.0) if rescale else (2.0, 2.0)}
    test_cfg = ConfigDict(mask_thr_binary=threshold)
    expected = mask_paste._MMDET_PREDICT_BY_FEAT_SINGLE(head, mask_preds, boxes.clone(), labels, meta, test_cfg,
                                                        rescale=rescale)
    got = mask_paste._predict_by_feat_single(head, mask_preds, boxes.clone(), labels, meta, test_cfg,
                                             rescale=rescale)
    assert got.dtype == torch.bool and got.shape == expected.shape
    assert torch.equal(got, expected)
    assert expected.any() and not expected.all()  # the case is not trivial


def test_region_is_the_box_widened_by_a_pixel_and_clipped():
    regions = mask_paste._paste_regions(torch.tensor([[2.5, 1.0, 4.2, 3.0], [0.2, 0.0, 8.0, 8.0]]), 6, 7)
    # box 0: x in [floor(2.5) - 1, ceil(4.2) + 1) = [1, 6), y in [0, 4)
    assert regions[0].nonzero()[:, 1].unique().tolist() == [1, 2, 3, 4, 5]
    assert regions[0].nonzero()[:, 0].unique().tolist() == [0, 1, 2, 3]
    assert regions[1].all()  # clipped to the 6 x 7 image


def test_large_images_keep_mmdets_path(monkeypatch):
    calls = []
    monkeypatch.setattr(mask_paste, "paste_masks_whole_image", lambda *a: calls.append(a))
    head = FCNMaskHead(num_convs=0, in_channels=4, conv_out_channels=4, num_classes=3)
    meta = {"ori_shape": (300, 300), "scale_factor": (1.0, 1.0)}
    out = mask_paste._predict_by_feat_single(head, torch.zeros(2, 3, 28, 28), torch.tensor([[0.0, 0, 9, 9]] * 2),
                                             torch.tensor([0, 1]), meta, ConfigDict(mask_thr_binary=0.5),
                                             rescale=True)
    assert out.shape == (2, 300, 300) and not calls


def test_installed_on_import_of_the_plugins():
    import harness.models  # noqa: F401

    assert FCNMaskHead._predict_by_feat_single is mask_paste._predict_by_feat_single
