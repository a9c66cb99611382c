# HTC with deformable convolutions (DCNv2-style modulated, in stages c3-c5) and multi-scale training, the
# embedded benchmark's stand-in for HTC X101-64x4d-DCN-MS (paper: train scales (1600, 400)-(1600, 1400),
# test 1333x800; here the same ratio range around the 64 px test size, 32-112 px, test 64 px).
_base_ = "./htc_x50_fpn.py"

model = dict(
    backbone=dict(
        dcn=dict(type="DCNv2", deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
    ),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True, with_seg=True),
    dict(type="RandomResize", scale=[(128, 32), (128, 112)], keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
