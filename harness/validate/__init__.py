"""Input validation, one function per file kind; every reader of such a file calls its function.

Each function takes what a reader parsed (JSON data, arrays, a checkpoint dict) and the path it came
from, and raises :class:`InputError` naming that path and the first bad field, so that a bad file is
one ``error:`` line and exit code 2 before any output is written. Checked: types, finiteness, ranges
and ids (unique, non-negative integers; references to listed images and categories).

    annotations   ground_truth (LVIS/COCO annotation file), lvis_format, detections (results list)
    proposal_file proposals (predict's arrays image_ids, boxes, labels)
    statistics    category_statistics (counts per category), bin_thresholds (count bin edges)
    checkpoints   checkpoint (an exported model), state_dict_fits (a checkpoint against a model)
    values        the shared checks of single values (numbers, ids, boxes, segmentations)

Readers call them as ``from harness import validate; validate.ground_truth(data, path)``.
"""

from harness.validate.annotations import LVIS_IMAGE_FIELDS, detections, ground_truth, lvis_format
from harness.validate.checkpoints import checkpoint, state_dict_fits
from harness.validate.proposal_file import proposals
from harness.validate.statistics import MAX_COUNT, bin_thresholds, category_statistics
from harness.validate.values import MAX_ID, box, finite_numbers, is_finite_number, is_integer, object_id, segmentation

__all__ = ["LVIS_IMAGE_FIELDS", "MAX_COUNT", "MAX_ID", "bin_thresholds", "box", "category_statistics", "checkpoint",
           "detections", "finite_numbers", "ground_truth", "is_finite_number", "is_integer", "lvis_format",
           "object_id", "proposals", "segmentation", "state_dict_fits"]
