# The paper's Hybrid Task Cascade X101-64x4d-FPN baseline on LVIS v0.5 (Table 3;
# docs/paper-release-and-us.md#schedules-and-hyper-parameters): the cascade of cascade_rcnn_x101_64x4d_fpn.py
# (ResNeXt-101 64x4d, stage IoUs 0.5 / 0.6 / 0.7, stage loss weights 1 / 0.5 / 0.25, class-agnostic regression) with
# the HTC branches of mmdet's htc/htc_x101-64x4d_fpn_16xb1-20e_coco.py: interleaved box and mask branches with mask
# information flow (HTCMaskHead per stage, 4 convs of 256 channels, RoIAlign 14x14, 28x28 targets) and a fused
# semantic head over all FPN levels (fused at P3, 4 convs of 256 channels) trained on COCO-stuff's 183 classes
# (`stuffthingmaps`, ignore 255) with loss weight 0.2 (#bags-fine-tuning).
# Schedule (#baselines): 20 epochs, x0.1 after epochs 16 and 19, SGD lr 0.01 with 1 image per GPU, warm-up 500
# iterations from lr/3 and gradient clipping 35 as in the shared setup (#shared-faster-r-cnn-setup). Batch: 8 GPUs x 1
# image as for Mask R-CNN (#shared-faster-r-cnn-setup, #known-bugs-and-deviations), i.e. auto_scale_lr
# base_batch_size=8; this is the lr per image of mmdet's own HTC X101 recipe (16 x 1 image at 0.02).
# Test (#baselines, #known-bugs-and-deviations): score_thr 0.001, NMS 0.5, 100 detections per image for the baseline
# (the BAGS HTC is tested at 0.001 / 300), masks binarised at 0.5; 1333x800.
# The train stage points the semantic maps at --stuff (data_prefix.seg): COCO-stuff's stuffthingmaps for the
# training images (LVIS v0.5 images are COCO train2017 images; maps named <image id>.png like the images).
# Initialised from a COCO-trained HTC X101-64x4d-FPN 20e (#baselines; mmdet model zoo
# htc_x101-64x4d_fpn_16xb1-20e_coco); box and mask classifiers are re-initialised for the LVIS classes, the
# semantic head keeps its 183 COCO-stuff classes and loads.
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at PRETRAINED or change
# the path; a missing file stops the train stage with a clear error.
_base_ = "./cascade_rcnn_x101_64x4d_fpn.py"

PRETRAINED = "data/pretrained/htc_x101_64x4d_fpn_20e_coco.pth"
load_from = PRETRAINED


def mask_head(with_conv_res):
    return dict(
        type="HTCMaskHead",
        with_conv_res=with_conv_res,  # stages 2 and 3 take the previous stage's mask features (info flow)
        num_convs=4,
        in_channels=256,
        conv_out_channels=256,
        num_classes=80,  # set to the data set's classes by the train stage
        loss_mask=dict(type="CrossEntropyLoss", use_mask=True, loss_weight=1.0),
    )


model = dict(
    type="HybridTaskCascade",
    data_preprocessor=dict(pad_mask=True, pad_seg=True),
    roi_head=dict(
        type="HybridTaskCascadeRoIHead",
        interleaved=True,
        mask_info_flow=True,
        mask_roi_extractor=dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIAlign", output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32],
        ),
        mask_head=[mask_head(False), mask_head(True), mask_head(True)],
        semantic_roi_extractor=dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIAlign", output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[8],
        ),
        semantic_head=dict(
            type="FusedSemanticHead",
            num_ins=5,
            fusion_level=1,
            seg_scale_factor=1 / 8,
            num_convs=4,
            in_channels=256,
            conv_out_channels=256,
            num_classes=183,  # COCO-stuff classes; set_num_classes leaves the semantic head alone
            loss_seg=dict(type="CrossEntropyLoss", ignore_index=255, loss_weight=0.2),
        ),
    ),
    test_cfg=dict(rcnn=dict(score_thr=0.001, nms=dict(type="nms", iou_threshold=0.5), max_per_img=100,
                            mask_thr_binary=0.5)),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True, with_seg=True),
    dict(type="Resize", scale=(1333, 800), keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))

max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
param_scheduler = [
    dict(type="LinearLR", start_factor=1 / 3, by_epoch=False, begin=0, end=500),
    dict(type="MultiStepLR", begin=0, end=max_epochs, by_epoch=True, milestones=[16, 19], gamma=0.1),
]
# lr 0.01 (inherited) for 8 GPUs x 1 image (see the header); scale with the batch.
auto_scale_lr = dict(enable=True, base_batch_size=8)
# BAGS on HTC (docs/paper-release-and-us.md#bags-fine-tuning): the fc_cls of all three stages, 12 epochs (x0.1 after 8
# and 11), lr 0.005 for 8 GPUs x 1 image (the per-image lr of every other BAGS run), not the baseline's 20 epochs.
classifier_schedule = dict(
    max_epochs=12,
    lr=0.005,
    param_scheduler=[
        dict(type="LinearLR", start_factor=1 / 3, by_epoch=False, begin=0, end=500),
        dict(type="MultiStepLR", begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
    ],
)
