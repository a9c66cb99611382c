# The paper's HTC X101-64x4d-FPN with deformable convolutions and multi-scale training on LVIS v0.5 (Table 3;
# docs/paper-release-and-us.md#schedules-and-hyper-parameters): htc_x101_64x4d_fpn.py (same heads, 20-epoch schedule
# with steps 16 and 19, lr 0.01 for 8 GPUs x 1 image, test 0.001 / 100 detections, mask threshold 0.5) plus, as in
# mmdet's htc/htc_x101-64x4d-dconv-c3-c5_fpn_ms-400-1400-16xb1-20e_coco.py:
# - DCN (deformable convolution v1, one offset group, grouped like the ResNeXt 3x3 it replaces) in the 3x3
#   convolutions of stages c3-c5 (stage_with_dcn False, True, True, True);
# - multi-scale training: long side 1600, short side drawn from the range 400-1400 (scales (1600, 400) to
#   (1600, 1400), keep ratio); test at the single scale 1333x800 (inherited).
# Initialised from a COCO-trained HTC X101-64x4d-FPN DCN c3-c5 multi-scale 400-1400 20e (#baselines; mmdet model zoo
# htc_x101-64x4d-dconv-c3-c5_fpn_ms-400-1400-16xb1-20e_coco).
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at PRETRAINED or change
# the path; a missing file stops the train stage with a clear error.
_base_ = "./htc_x101_64x4d_fpn.py"

PRETRAINED = "data/pretrained/htc_x101_64x4d_dconv_c3-c5_ms_400_1400_fpn_20e_coco.pth"
load_from = PRETRAINED

model = dict(
    backbone=dict(
        dcn=dict(type="DCN", deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
    ),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True, with_seg=True),
    dict(type="RandomResize", scale=[(1600, 400), (1600, 1400)], keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
