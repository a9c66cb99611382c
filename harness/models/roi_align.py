"""RoIAlign as two small matrix products: mmcv's ``RoIAlign`` (average mode) for small feature maps.

Average-mode RoIAlign samples each output bin on a ``gh x gw`` grid of points, interpolates each point
bilinearly from its 4 neighbouring feature cells and averages. The grid is a Cartesian product, a
bilinear weight is a product of a row weight and a column weight, and a point outside the map is
dropped when its row *or* its column is outside (a product of two indicators), so the whole operator
separates::

    out[r, c, i, j] = sum_{y, x} Wy[r, i, y] * feat[b_r, c, y, x] * Wx[r, j, x]

with ``Wy[r, i, y]`` the mean over bin i's sample rows of their bilinear weight on feature row y
(``Wx`` likewise for columns). That is two batched matrix products per image, whose backward autograd
derives; mmcv's CPU kernel instead loops over every (RoI, channel, bin, sample) in scalar code and its
backward dominates a training iteration of the embedded benchmark's stand-ins (measured with
``workflow/scripts/profile_train.py``). The result equals mmcv's to float rounding (tests compare
forward and input gradient). The weight matrices cost ``O(RoIs x bins x H)`` memory, so this is for the
small maps of the stand-ins; the paper-scale configs keep mmcv's kernel (CUDA on a GPU).
"""

import torch
from torch import nn


def _axis_weights(start: torch.Tensor, end: torch.Tensor, size: int, bins: int,
                  sampling_ratio: int, aligned: bool) -> torch.Tensor:
    """Interpolation weights of one axis.

    start, end: (R,) RoI bounds along the axis in feature-map cells (already scaled, not yet offset).
    Returns (R, bins, size): weight of feature cell k for output bin i, averaged over the bin's samples.
    """
    length = end - start if aligned else (end - start).clamp(min=1.0)
    start = start - 0.5 if aligned else start  # aligned: pixel centres at half-integers
    bin_len = length / bins
    if sampling_ratio > 0:
        grid = torch.full_like(length, sampling_ratio, dtype=torch.long)
    else:
        grid = torch.ceil(length / bins).long()  # mmcv: ceil(roi_height / pooled_height)
    most = max(int(grid.max()), 1) if grid.numel() else 1
    sample = torch.arange(most, dtype=start.dtype, device=start.device)  # (G,)
    bin_index = torch.arange(bins, dtype=start.dtype, device=start.device)  # (P,)
    gridf = grid.clamp(min=1).to(start.dtype)[:, None, None]
    # (R, P, G) sample coordinates: bin start + (sample + 1/2) * bin_len / grid
    coord = start[:, None, None] + bin_index[None, :, None] * bin_len[:, None, None] \
        + (sample[None, None, :] + 0.5) * bin_len[:, None, None] / gridf
    used = (sample[None, None, :] < grid[:, None, None]) & (coord >= -1.0) & (coord <= size)
    coord = coord.clamp(min=0.0)
    low = coord.floor().long()
    at_edge = low >= size - 1
    low = torch.where(at_edge, torch.full_like(low, size - 1), low)
    high = torch.where(at_edge, low, low + 1)
    frac = torch.where(at_edge, torch.zeros_like(coord), coord - low.to(coord.dtype))
    keep = used.to(coord.dtype) / gridf
    weights = torch.zeros(start.shape[0], bins, size, dtype=start.dtype, device=start.device)
    weights.scatter_add_(2, low, (1.0 - frac) * keep)
    weights.scatter_add_(2, high, frac * keep)
    return weights


class SeparableRoIAlign(nn.Module):
    """Drop-in for ``mmcv.ops.RoIAlign`` (``pool_mode='avg'``) on small feature maps.

    forward(feat, rois): feat (B, C, H, W); rois (R, 5) as (batch index, x1, y1, x2, y2) in image
    pixels. Returns (R, C, out_h, out_w). No gradient flows to ``rois`` (as in mmcv).
    ``use_torchvision`` is accepted for mmcv's signature and has no effect.
    """

    def __init__(self, output_size, spatial_scale: float = 1.0, sampling_ratio: int = 0, pool_mode: str = "avg",
                 aligned: bool = True, use_torchvision: bool = False):
        super().__init__()
        if pool_mode != "avg":
            raise ValueError(f"SeparableRoIAlign supports pool_mode='avg' only, got {pool_mode!r}")
        self.output_size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.aligned = aligned

    def forward(self, feat: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        out_h, out_w = self.output_size
        _, channels, height, width = feat.shape
        if rois.shape[0] == 0:
            return feat.new_zeros(0, channels, out_h, out_w)
        with torch.no_grad():
            boxes = rois[:, 1:].to(feat.dtype) * self.spatial_scale
            wy = _axis_weights(boxes[:, 1], boxes[:, 3], height, out_h, self.sampling_ratio, self.aligned)
            wx = _axis_weights(boxes[:, 0], boxes[:, 2], width, out_w, self.sampling_ratio, self.aligned)
            image_of = rois[:, 0].long()
            order = torch.argsort(image_of, stable=True)
            counts = torch.bincount(image_of, minlength=feat.shape[0]).tolist()
            in_order = bool((order == torch.arange(order.numel(), device=order.device)).all())
        parts, first = [], 0
        for image, k in enumerate(counts):
            if k == 0:
                continue
            idx = order[first:first + k]
            first += k
            columns = feat[image].permute(1, 0, 2).reshape(height, channels * width)  # (H, C*W)
            rows = torch.mm(wy[idx].reshape(k * out_h, height), columns)  # (k*P, C*W)
            rows = rows.view(k, out_h * channels, width)
            parts.append(torch.bmm(rows, wx[idx].transpose(1, 2)))  # (k, P*C, Q)
        pooled = torch.cat(parts).view(-1, out_h, channels, out_w)  # RoIs sorted by image
        if not in_order:
            pooled = pooled[torch.argsort(order)]
        return pooled.permute(0, 2, 1, 3).contiguous()  # (R, C, P, Q)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, " \
               f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}"


def register_in_mmcv_ops() -> None:
    """mmdet's RoI extractors look their ``roi_layer`` type up as an attribute of ``mmcv.ops`` (not in a
    registry); expose the layer there so a config can name ``type="SeparableRoIAlign"``."""
    import mmcv.ops

    mmcv.ops.SeparableRoIAlign = SeparableRoIAlign


__all__ = ["SeparableRoIAlign", "register_in_mmcv_ops"]
