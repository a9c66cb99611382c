# Cascade R-CNN on the X101 stand-in backbone (faster_rcnn_x50_fpn.py), three stages with class-agnostic
# regression, IoU thresholds 0.5 / 0.6 / 0.7 and stage loss weights 1 / 0.5 / 0.25 as in the paper's
# Cascade X101-64x4d (docs/paper-release-and-us.md#bags-fine-tuning); RoI sampling scaled like the Faster R-CNN
# stand-in.
_base_ = "./faster_rcnn_x50_fpn.py"

stage_target_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_iou = [0.5, 0.6, 0.7]


def box_head(stds):
    return dict(
        type="Shared2FCBBoxHead",
        in_channels=64,
        fc_out_channels=256,
        roi_feat_size=7,
        num_classes=80,
        bbox_coder=dict(type="DeltaXYWHBBoxCoder", target_means=[0.0, 0.0, 0.0, 0.0], target_stds=stds),
        reg_class_agnostic=True,
        loss_cls=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type="SmoothL1Loss", beta=1.0, loss_weight=1.0),
    )


def stage_train_cfg(iou):
    return dict(
        assigner=dict(type="MaxIoUAssigner", pos_iou_thr=iou, neg_iou_thr=iou, min_pos_iou=iou,
                      match_low_quality=False, ignore_iof_thr=-1),
        sampler=dict(type="RandomSampler", num=128, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
        mask_size=28,  # target size of the mask branches of the HTC configs inheriting this one
        pos_weight=-1,
        debug=False,
    )


model = dict(
    type="CascadeRCNN",
    roi_head=dict(
        _delete_=True,
        type="CascadeRoIHead",
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="SeparableRoIAlign", output_size=7, sampling_ratio=0),
            out_channels=64,
            featmap_strides=[4, 8, 16, 32],
        ),
        bbox_head=[box_head(stds) for stds in stage_target_stds],
    ),
    train_cfg=dict(rcnn=[stage_train_cfg(iou) for iou in stage_iou]),
)
