"""Train only some parameters (the paper's classifier-only recipes)."""

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class FreezeExceptHook(Hook):
    """Before training, stop gradients of every parameter whose name starts with none of ``trainable``.

    Frozen parameters get no gradient, so SGD leaves them (and their weight decay) untouched.
    """

    priority = "VERY_HIGH"

    def __init__(self, trainable: list[str]):
        self.trainable = tuple(trainable)

    def before_train(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        kept = 0
        for name, param in model.named_parameters():
            param.requires_grad_(name.startswith(self.trainable))
            kept += param.numel() if param.requires_grad else 0
        if kept == 0:
            raise ValueError(f"no parameter starts with {self.trainable}")
        runner.logger.info(f"FreezeExceptHook: training {kept} parameters under {self.trainable}")
