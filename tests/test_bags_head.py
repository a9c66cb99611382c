"""BAGS in mmdet: the loss module on a tiny batch for every Table 4 variant, the method's config
edits, and starting from a baseline with only the classifier re-initialised."""

import json

import pytest
import torch

from conftest import REPO
from harness.algorithms.group_layout import build_group_layout, layout_to_json
from harness.methods import get_method
from harness.errors import InputError

MODELS_DIR = REPO / "configs" / "models" / "synthetic"
MODEL = MODELS_DIR / "faster_rcnn_r18_fpn.py"
VARIANTS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.fixture
def layout_file(tmp_path):
    # 4 categories: ids 1 (3 instances), 4 (5) -> G1, 2 (30) -> G2, 3 (300) -> G3
    path = tmp_path / "groups.json"
    path.write_text(json.dumps(layout_to_json(build_group_layout([1, 2, 3, 4], [3, 30, 300, 5], [10, 100]))))
    return path


@pytest.mark.parametrize("background_group, others", VARIANTS)
def test_loss_module_on_a_tiny_batch(layout_file, background_group, others):
    from harness.models.bags_loss import BAGSLoss

    loss = BAGSLoss(str(layout_file), beta="8", background_group=background_group, others=others)
    channels = loss.get_cls_channels(4)
    assert channels == 4 + 3 * int(others) + 2 * int(background_group)
    logits = torch.randn(6, channels, requires_grad=True)
    labels = torch.tensor([4, 4, 0, 1, 2, 3])  # mmdet labels 0..3 = ids 1..4, 4 = background
    terms = loss(logits, labels)
    expected = {f"loss_cls_g{k}" for k in (1, 2, 3)} | ({"loss_cls_g0"} if background_group else set())
    assert set(terms) == expected
    sum(terms.values()).backward()
    assert logits.grad.abs().sum() > 0
    scores = loss.get_activation(logits.detach())
    assert scores.shape == (6, 5) and (scores >= 0).all()
    assert 0 <= loss.get_accuracy(logits.detach(), labels)["acc"] <= 100


def test_head_size_must_match_the_layout(layout_file):
    from harness.models.bags_loss import BAGSLoss

    with pytest.raises(ValueError, match="4 categories, the head 5"):
        BAGSLoss(str(layout_file)).get_cls_channels(5)


def bags_config(layout_file, model=MODEL, **options):
    from harness.engine.mm_config import apply_method, load_model_config, set_num_classes

    cfg = load_model_config(str(model))
    set_num_classes(cfg.model, 4)
    apply_method(cfg, get_method("bags"), {"groups": str(layout_file), **options})
    return cfg


def test_bags_method_edits_the_loss_and_freezes_all_but_the_classifier(layout_file):
    cfg = bags_config(layout_file, beta="n", others="false")
    assert cfg.model.roi_head.bbox_head.loss_cls == {"type": "BAGSLoss", "layout_file": str(layout_file),
                                                     "beta": "n", "background_group": True, "others": False}
    assert cfg.model.backbone.norm_eval is True
    assert cfg.custom_hooks[-1]["type"] == "FreezeExceptHook"
    assert get_method("bags").needs_init


@pytest.mark.parametrize("config, classifiers", [
    ("faster_rcnn_r18_fpn.py", ["roi_head.bbox_head.fc_cls"]),
    ("cascade_rcnn_x50_fpn.py", [f"roi_head.bbox_head.{k}.fc_cls" for k in range(3)]),
    ("htc_x50_fpn.py", [f"roi_head.bbox_head.{k}.fc_cls" for k in range(3)]),
])
def test_baseline_weights_fill_everything_but_the_new_classifier(layout_file, config, classifiers):
    """Exactly the classifier(s) change shape (every cascade stage's); mask and semantic heads do not."""
    from harness.engine.mm_config import load_model_config, set_num_classes
    from mmdet.registry import MODELS

    baseline_cfg = load_model_config(str(MODELS_DIR / config))
    set_num_classes(baseline_cfg.model, 4)
    baseline = MODELS.build(baseline_cfg.model).state_dict()
    bags = MODELS.build(bags_config(layout_file, MODELS_DIR / config).model).state_dict()
    mismatched = {k for k in bags if bags[k].shape != baseline[k].shape}
    assert mismatched == {f"{c}.{p}" for c in classifiers for p in ("weight", "bias")}
    assert all(bags[f"{c}.weight"].shape == (2 + 4 + 3, 256) for c in classifiers)
    assert set(bags) == set(baseline)
    trainable = get_method("bags").trainable
    assert all(any(name.startswith(prefix) for prefix in trainable) for name in mismatched)
    assert not any(name.startswith(trainable) for name in set(bags) - mismatched)


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(InputError, match="unknown method 'nope'; known: bags, baseline"):
        get_method("nope")


def test_bags_without_groups_is_a_clear_error(layout_file):
    from harness.engine.mm_config import apply_method, load_model_config

    with pytest.raises(InputError, match="method bags: bags needs the option groups="):
        apply_method(load_model_config(str(MODEL)), get_method("bags"), {})
