# Faster R-CNN with the embedded benchmark's stand-in for ResNeXt-101-64x4d: a ResNeXt-50-style
# backbone (bottleneck blocks, grouped 3x3 convolutions, 8 groups of width 4 per 16 base channels), so
# it is deeper and wider than the R18 stand-in of R50, as X101 is than R50 in the paper (Table 2).
# Paper counterpart: Faster R-CNN X101-64x4d-FPN (docs/paper-release-and-us.md#schedules-and-hyper-parameters).
_base_ = "./faster_rcnn_r18_fpn.py"

model = dict(
    backbone=dict(
        _delete_=True,
        type="ResNeXt",
        depth=50,
        groups=8,
        base_width=4,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type="BN", requires_grad=True),
        norm_eval=True,
        style="pytorch",
        init_cfg=None,
    ),
    neck=dict(in_channels=[64, 128, 256, 512]),
)
