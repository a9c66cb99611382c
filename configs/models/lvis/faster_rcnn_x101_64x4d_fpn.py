# The paper's Faster R-CNN X101-64x4d-FPN baseline on LVIS v0.5 (Table 2; docs/paper-release-and-us.md#baselines, the
# authors' configs/baselines): the R50 recipe of faster_rcnn_r50_fpn.py (#shared-faster-r-cnn-setup) with the backbone
# of mmdet's faster_rcnn/faster-rcnn_x101-64x4d_fpn_1x_coco.py: ResNeXt-101, 64 groups of base width 4, stem + res2
# frozen (frozen_stages=1), BN frozen. Everything else is inherited: 1333x800, 12 epochs, SGD lr 0.01 for
# a total batch of 16 (2 images x 8 GPUs), warm-up 500 iterations from lr/3, x0.1 after epochs 8 and 11,
# gradient clipping at 35; RPN 2000/2000 train and 1000/1000 test proposals (NMS 0.7), 512 RoIs per image
# with 25 % positives; test score_thr 0.0, NMS 0.5, 300 detections per image, as for R50 (#baselines).
# Initialised from a COCO-trained Faster R-CNN X101-64x4d-FPN 1x (#baselines; mmdet model zoo
# faster-rcnn_x101-64x4d_fpn_1x_coco); only shape-compatible tensors load (fc_cls/fc_reg are re-initialised
# for the LVIS classes, #shared-faster-r-cnn-setup).
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at PRETRAINED or change
# the path; a missing file stops the train stage with a clear error.
_base_ = "./faster_rcnn_r50_fpn.py"

PRETRAINED = "data/pretrained/faster_rcnn_x101_64x4d_fpn_1x_coco.pth"
load_from = PRETRAINED

model = dict(
    backbone=dict(
        type="ResNeXt",
        depth=101,
        groups=64,
        base_width=4,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type="BN", requires_grad=True),
        norm_eval=True,
        style="pytorch",
        init_cfg=None,  # the COCO detector in load_from carries the ImageNet backbone
    ),
)
