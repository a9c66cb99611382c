# The paper's Faster R-CNN R50-FPN on LVIS v0.5 (docs/paper-release-and-us.md#shared-faster-r-cnn-setup; the authors'
# configs/baselines/faster_rcnn_r50_fpn_1x_lvis.py): 1333x800, 12 epochs, SGD lr 0.01 for a total
# batch of 16 (2 images x 8 GPUs), warm-up 500 iterations from lr/3, x0.1 after epochs 8 and 11,
# gradient clipping at 35, initialised from a COCO-trained Faster R-CNN R50-FPN 2x.
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at
# PRETRAINED or change the path; a missing file stops the train stage with a clear error.
_base_ = "mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"

PRETRAINED = "data/pretrained/faster_rcnn_r50_fpn_2x_coco.pth"
load_from = PRETRAINED

model = dict(
    backbone=dict(init_cfg=None),  # the COCO detector in load_from carries the ImageNet backbone
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=2000, max_per_img=2000, nms=dict(type="nms", iou_threshold=0.7)),
        rcnn=dict(sampler=dict(num=512, pos_fraction=0.25)),
    ),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(type="nms", iou_threshold=0.7)),
        rcnn=dict(score_thr=0.0, nms=dict(type="nms", iou_threshold=0.5), max_per_img=300),
    ),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="Resize", scale=(1333, 800), keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(1333, 800), keep_ratio=True),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="PackDetInputs", meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor")),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(type="LVISV05Dataset", pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=32)),
)
test_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(type="LVISV05Dataset", pipeline=test_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = None

train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=12, val_interval=13)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9, weight_decay=1e-4),
                     clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type="LinearLR", start_factor=1 / 3, by_epoch=False, begin=0, end=500),
    dict(type="MultiStepLR", begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
# lr 0.01 is for 8 GPUs x 2 images, as released (docs/paper-release-and-us.md#known-bugs-and-deviations); scale with
# the batch.
auto_scale_lr = dict(enable=True, base_batch_size=16)
default_hooks = dict(checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2))
