"""Mask pasting for small images on the CPU: all of an image's masks in one ``grid_sample``.

mmdet's ``FCNMaskHead`` pastes each predicted 28 x 28 mask into the image separately on the CPU
(one ``grid_sample`` over the box's bounding region per mask, the right choice for 800 x 1333
images). On the embedded benchmark's 64 x 64 images that is 300 Python-level calls per image, 29 %
of a Mask stand-in's prediction (measured, cProfile). For images of at most ``SMALL_IMAGE_PIXELS``
this module samples every mask over the whole image at once and then clears the pixels outside the
region mmdet's per-mask paste would have covered: each pixel's sampling coordinate is computed by
the same float operations as mmdet's, so the binary masks are the same (tests/test_mask_paste.py
compares them). Larger images and other devices keep mmdet's own path.
"""

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import FCNMaskHead

SMALL_IMAGE_PIXELS = 256 * 256


def paste_masks_whole_image(masks: torch.Tensor, boxes: torch.Tensor, img_h: int, img_w: int,
                            threshold: float) -> torch.Tensor:
    """Paste and binarise masks, each limited to mmdet's per-mask paste region.

    Args:
        masks: (N, 1, M, M) mask probabilities of each box's class.
        boxes: (N, 4) xyxy boxes in the output image's pixels.
        threshold: a pixel is in the mask where its pasted probability is >= threshold.
    Returns:
        (N, img_h, img_w) bool masks, False outside each box's region
        [floor(x0) - 1, ceil(x1) + 1) x [floor(y0) - 1, ceil(y1) + 1), clipped to the image.
    """
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)  # (N, 1) each
    img_x = (torch.arange(0, img_w, device=boxes.device).to(torch.float32) + 0.5 - x0) / (x1 - x0) * 2 - 1
    img_y = (torch.arange(0, img_h, device=boxes.device).to(torch.float32) + 0.5 - y0) / (y1 - y0) * 2 - 1
    img_x[torch.isinf(img_x)] = 0  # zero-width boxes, as mmdet does
    img_y[torch.isinf(img_y)] = 0
    n = len(masks)
    grid = torch.stack([img_x[:, None, :].expand(n, img_h, img_w), img_y[:, :, None].expand(n, img_h, img_w)], dim=3)
    pasted = F.grid_sample(masks.to(torch.float32), grid, align_corners=False)[:, 0]
    return (pasted >= threshold) & _paste_regions(boxes, img_h, img_w)


def _paste_regions(boxes: torch.Tensor, img_h: int, img_w: int) -> torch.Tensor:
    """(N, img_h, img_w) bool: the pixels mmdet's one-box paste (``skip_empty=True``) covers."""
    lo = torch.clamp(boxes[:, :2].floor() - 1, min=0)  # (N, 2) x0, y0
    hi_x = torch.clamp(boxes[:, 2].ceil() + 1, max=img_w)
    hi_y = torch.clamp(boxes[:, 3].ceil() + 1, max=img_h)
    cols = torch.arange(img_w, device=boxes.device)
    rows = torch.arange(img_h, device=boxes.device)
    in_x = (cols[None] >= lo[:, :1]) & (cols[None] < hi_x[:, None])  # (N, W)
    in_y = (rows[None] >= lo[:, 1:]) & (rows[None] < hi_y[:, None])  # (N, H)
    return in_y[:, :, None] & in_x[:, None, :]


def _predict_by_feat_single(self, mask_preds, bboxes, labels, img_meta, rcnn_test_cfg, rescale=False,
                            activate_map=False):
    """``FCNMaskHead._predict_by_feat_single`` with the whole-image paste for small CPU images."""
    img_h, img_w = img_meta["ori_shape"][:2]
    if not rescale:
        w_scale, h_scale = img_meta["scale_factor"][:2]
        img_h, img_w = int(np.round(img_h * h_scale)), int(np.round(img_w * w_scale))
    threshold = rcnn_test_cfg.mask_thr_binary
    if bboxes.device.type != "cpu" or img_h * img_w > SMALL_IMAGE_PIXELS or threshold < 0:
        return _MMDET_PREDICT_BY_FEAT_SINGLE(self, mask_preds, bboxes, labels, img_meta, rcnn_test_cfg,
                                             rescale=rescale, activate_map=activate_map)
    mask_preds = mask_preds.sigmoid() if not activate_map else bboxes.new_tensor(mask_preds)
    if rescale:  # in place, as mmdet does: the caller's boxes end up in original-image pixels
        bboxes /= bboxes.new_tensor(img_meta["scale_factor"]).repeat((1, 2))
    n = len(mask_preds)
    if not self.class_agnostic:
        mask_preds = mask_preds[range(n), labels][:, None]
    if n == 0:
        return torch.zeros(0, img_h, img_w, dtype=torch.bool)
    return paste_masks_whole_image(mask_preds, bboxes, img_h, img_w, threshold)


_MMDET_PREDICT_BY_FEAT_SINGLE = FCNMaskHead._predict_by_feat_single


def install() -> None:
    """Route every ``FCNMaskHead`` (and subclasses such as HTC's) through the small-image paste."""
    FCNMaskHead._predict_by_feat_single = _predict_by_feat_single
