"""SeparableRoIAlign is mmcv's average-mode RoIAlign, forward and input gradient, on the cases that
decide it: RoIs outside or across the map's edge, empty RoIs, unsorted images, both alignments, fixed
and adaptive sampling grids, 7x7 and 14x14 outputs, non-square maps."""

import pytest
import torch
from mmcv.ops import RoIAlign

from harness.models.roi_align import SeparableRoIAlign


def random_rois(count: int, images: int, extent: float, seed: int) -> torch.Tensor:
    """(count, 5) RoIs in image pixels, some partly or wholly outside [0, extent], some empty."""
    gen = torch.Generator().manual_seed(seed)
    image = torch.randint(0, images, (count, 1), generator=gen).float()
    corner = torch.rand(count, 2, generator=gen) * (extent * 1.4) - extent * 0.2
    size = torch.rand(count, 2, generator=gen) * extent * 0.7
    size[: count // 10] = 0.0  # empty boxes
    return torch.cat([image, corner, corner + size], dim=1)


def both(feat, rois, grad, **layer_args):
    """(output, input gradient) of mmcv's layer and of ours."""
    results = []
    for layer_cls in (RoIAlign, SeparableRoIAlign):
        source = feat.detach().clone().requires_grad_(True)
        out = layer_cls(**layer_args)(source, rois)
        out.backward(grad(out))
        results.append((out.detach(), source.grad))
    return results


@pytest.mark.parametrize("size,scale,pool,sampling,aligned", [
    ((16, 16), 1 / 4, 7, 0, True),
    ((8, 11), 1 / 8, 7, 0, True),
    ((16, 16), 1 / 4, 14, 0, True),
    ((16, 13), 1 / 4, 7, 2, False),
    ((5, 5), 1 / 16, 7, 0, False),
])
def test_matches_mmcv_forward_and_gradient(size, scale, pool, sampling, aligned):
    torch.manual_seed(0)
    feat = torch.randn(3, 5, *size)
    rois = random_rois(60, images=3, extent=64.0, seed=1)
    grads = torch.randn(60, 5, pool, pool)
    (ref_out, ref_grad), (out, grad) = both(feat, rois, lambda _: grads, output_size=pool, spatial_scale=scale,
                                            sampling_ratio=sampling, aligned=aligned)
    assert out.shape == ref_out.shape == (60, 5, pool, pool)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grad, ref_grad, atol=1e-4, rtol=1e-5)


def test_hand_computed_centre_sample():
    # A 2x2 map [[1, 2], [3, 4]], one bin, one sample: aligned RoI (0, 0)-(2, 2) spans cells -0.5..1.5,
    # its single sample sits at (0.5, 0.5), the bilinear mean of the four cells: 2.5.
    feat = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    rois = torch.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]])
    out = SeparableRoIAlign(1, 1.0, 1, aligned=True)(feat, rois)
    assert out.item() == pytest.approx(2.5)


def test_no_rois_gives_an_empty_batch():
    out = SeparableRoIAlign(7, 0.25)(torch.randn(2, 4, 8, 8), torch.zeros(0, 5))
    assert out.shape == (0, 4, 7, 7)


def test_max_pooling_is_refused():
    with pytest.raises(ValueError, match="pool_mode='avg'"):
        SeparableRoIAlign(7, 0.25, pool_mode="max")


def test_mmdet_roi_extractor_builds_it_by_name():
    import harness.models  # noqa: F401  (exposes the layer where mmdet's extractors look it up)
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules()
    extractor = MODELS.build(dict(type="SingleRoIExtractor", out_channels=4, featmap_strides=[4, 8],
                                  roi_layer=dict(type="SeparableRoIAlign", output_size=7, sampling_ratio=0)))
    assert [type(layer) for layer in extractor.roi_layers] == [SeparableRoIAlign, SeparableRoIAlign]
    assert [layer.spatial_scale for layer in extractor.roi_layers] == [0.25, 0.125]


def test_sample_on_the_far_edge_takes_the_last_cell():
    # Unaligned RoI x 0..2, y 1.5..2.5 on a 2x2 map: its one sample sits at (x, y) = (1, 2), on the
    # bottom edge (y == height counts as inside, as in mmcv), so it reads the last row: cell (1, 1) = 4.
    feat = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    rois = torch.tensor([[0.0, 0.0, 1.5, 2.0, 2.5]])
    out = SeparableRoIAlign(1, 1.0, 1, aligned=False)(feat, rois)
    assert out.item() == pytest.approx(4.0)
    assert RoIAlign(1, 1.0, 1, aligned=False)(feat, rois).item() == pytest.approx(4.0)
