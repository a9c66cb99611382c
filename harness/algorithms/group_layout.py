"""BAGS group layout: which logit of the grouped classifier belongs to which category.

Paper Sec. 4.1 (Li et al., CVPR 2020) and the authors' ``tools/lvis_analyse.py``:

1. Categories are binned by their number of *training instances* n_c with increasing thresholds
   t_1 < ... < t_{N-1}: group G_k (k = 1..N) holds t_{k-1} <= n_c < t_k (t_0 = 0, t_N = inf).
2. G0 is the background group with 2 logits: index 0 = background, index 1 = "others" (foreground).
3. Every foreground group G_k gets an "others" logit at index 0, followed by its categories in
   ascending id order (indices 1..|G_k|).
4. Groups are contiguous logit slices in the order G0, G1, ..., G_N; the total logit count is
   2 + sum_k (|G_k| + 1) = C + 1 + (N + 1) for C categories.

On LVIS v0.5 with thresholds (10, 100, 1000) this gives slices (0,2) (2,295) (297,454) (751,303)
(1054,182): 1236 logits for 1230 categories.
"""

from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

from harness.algorithms.numbers import is_finite_number

BACKGROUND_GROUP = 0


@dataclass(frozen=True)
class Group:
    """One contiguous slice of the grouped classifier's logits.

    Attributes:
        index: 0 for the background group G0, k for G_k.
        count_range: [lower, upper) train-instance bounds; ``upper`` None means infinity;
            None for G0.
        category_ids: categories at in-group indices 1..len (ascending id); empty for G0.
        logit_start: first logit of the slice in the full logit vector.
        logit_length: len(category_ids) + 1 ("others"), or 2 for G0.
    """

    index: int
    count_range: tuple[float, float | None] | None
    category_ids: tuple[int, ...]
    logit_start: int
    logit_length: int

    @property
    def name(self) -> str:
        return f"G{self.index}"


@dataclass(frozen=True)
class GroupLayout:
    """The full grouped-softmax label space: thresholds, groups G0..G_N and the label remap.

    ``others`` False drops the "others" logit of every foreground group (categories then start at
    in-group index 0); a layout without G0 simply has no group of index 0 (Table 4's variants, see
    :meth:`variant`).
    """

    thresholds: tuple[float, ...]
    groups: tuple[Group, ...]
    others: bool = True

    @property
    def has_background_group(self) -> bool:
        return self.groups[0].index == BACKGROUND_GROUP

    @property
    def foreground_groups(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.index != BACKGROUND_GROUP)

    def variant(self, background_group: bool = True, others: bool = True) -> "GroupLayout":
        """The same bins with or without G0 and the "others" logits, slices recomputed."""
        groups, start = [], 0
        if background_group:
            groups.append(Group(BACKGROUND_GROUP, None, (), 0, 2))
            start = 2
        for group in self.foreground_groups:
            length = len(group.category_ids) + int(others)
            groups.append(Group(group.index, group.count_range, group.category_ids, start, length))
            start += length
        return GroupLayout(self.thresholds, tuple(groups), others)

    @property
    def num_logits(self) -> int:
        return sum(group.logit_length for group in self.groups)

    @property
    def num_foreground_groups(self) -> int:
        return len(self.foreground_groups)

    @property
    def category_ids(self) -> tuple[int, ...]:
        return tuple(sorted(cid for group in self.groups for cid in group.category_ids))

    def remap(self) -> dict[int, tuple[int, int]]:
        """Category id -> (group index, index inside that group's slice)."""
        return {
            cid: (group.index, position + int(self.others))
            for group in self.groups
            for position, cid in enumerate(group.category_ids)
        }

    def row_categories(self) -> list[int | None]:
        """The category id of every logit (classifier row) in order: 0 for G0's background row, None
        for G0's foreground row and the "others" rows (they belong to no single category)."""
        rows: list[int | None] = []
        for group in self.groups:
            if group.index == BACKGROUND_GROUP:
                rows += [0, None]
            else:
                rows += [None] * int(self.others) + list(group.category_ids)
        return rows

    def group_targets(self) -> list[list[int]]:
        """Per-group target of every detector label (the authors' ``label2binlabel``).

        Detector labels are 0 = background and l = 1..C for the l-th category in ascending id.

        Returns:
            (G, C + 1) nested list, one row per group in logit order: G0's row is [0, 1, ..., 1]
            (background vs foreground); G_k's row holds the in-group index of each label of G_k and
            0 ("others") elsewhere, or -1 (ignored) in a layout without "others".
        """
        remap = self.remap()
        labels = self.category_ids
        table = [[0] + [1] * len(labels)] if self.has_background_group else []
        outside = 0 if self.others else -1  # without "others", labels of other groups are ignored
        for group in self.foreground_groups:
            row = [outside] * (len(labels) + 1)
            for label, cid in enumerate(labels, start=1):
                group_index, position = remap[cid]
                if group_index == group.index:
                    row[label] = position
            table.append(row)
        return table


# LVIS's instance-count bins (paper Sec. 3.1): [1, 10), [10, 100), [100, 1000), [1000, inf). The default where
# neither a profile (bins.thresholds) nor a data set's info.bin_thresholds says otherwise.
PAPER_BIN_THRESHOLDS = (10, 100, 1000)


def validate_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """Return the thresholds as a tuple, or raise ValueError if not positive, finite and strictly increasing."""
    values = tuple(thresholds)
    if not values:
        raise ValueError("at least one threshold is needed (N = len(thresholds) + 1 groups)")
    for value in values:
        if not is_finite_number(value) or not value > 0:
            raise ValueError(f"thresholds must be positive finite numbers, got {value!r}")
    for lower, upper in zip(values, values[1:]):
        if not upper > lower:
            raise ValueError(f"thresholds must be strictly increasing, got {lower} then {upper}")
    return values


def count_bin(count: float, thresholds: Sequence[float]) -> int:
    """0-based bin of a train instance count: 0 for count < t_1, k for t_k <= count < t_{k+1}."""
    return bisect_right(thresholds, count)


def bin_ranges(thresholds: Sequence[float]) -> list[tuple[float, float | None]]:
    """The half-open [lower, upper) count range of every bin; ``None`` is infinity."""
    edges = [0, *thresholds]
    return [(edges[k], thresholds[k] if k < len(thresholds) else None) for k in range(len(edges))]


def build_group_layout(
    category_ids: Sequence[int], instance_counts: Sequence[int], thresholds: Sequence[float]
) -> GroupLayout:
    """Steps 1-4 of the module docstring.

    Args:
        category_ids: (C,) category ids, any order, unique.
        instance_counts: (C,) train instance count of each category.
        thresholds: (N - 1,) strictly increasing count thresholds.

    Raises:
        ValueError: bad thresholds, mismatched lengths, or a bin without categories (names the bin).
    """
    thresholds = validate_thresholds(thresholds)
    if len(category_ids) != len(instance_counts):
        raise ValueError(f"{len(category_ids)} category ids but {len(instance_counts)} counts")
    members: list[list[int]] = [[] for _ in range(len(thresholds) + 1)]
    for cid, count in sorted(zip(category_ids, instance_counts)):
        members[count_bin(count, thresholds)].append(cid)
    ranges = bin_ranges(thresholds)
    for k, ids in enumerate(members):
        if not ids:
            raise ValueError(f"group G{k + 1} (instance counts in {format_range(ranges[k])}) has no categories")
    groups = [Group(BACKGROUND_GROUP, None, (), 0, 2)]
    for k, ids in enumerate(members, start=1):
        start = groups[-1].logit_start + groups[-1].logit_length
        groups.append(Group(k, ranges[k - 1], tuple(ids), start, len(ids) + 1))
    return GroupLayout(thresholds, tuple(groups))


def format_range(count_range: tuple[float, float | None]) -> str:
    lower, upper = count_range
    return f"[{_number(lower)}, {'inf' if upper is None else _number(upper)})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def layout_to_json(layout: GroupLayout) -> dict:
    """The JSON form written by the ``groups`` stage (docs/methods.md#group-layout-paper-sec-41)."""
    return {
        "thresholds": [_json_number(t) for t in layout.thresholds],
        "num_foreground_groups": layout.num_foreground_groups,
        "num_categories": len(layout.category_ids),
        "num_logits": layout.num_logits,
        "groups": [
            {
                "name": group.name,
                "count_range": None if group.count_range is None
                else [_json_number(group.count_range[0]), _json_number(group.count_range[1])],
                "logit_start": group.logit_start,
                "logit_length": group.logit_length,
                # G0: index 0 background, 1 foreground; G_k: index 0 "others", then category_ids.
                "index_0": "background" if group.index == BACKGROUND_GROUP else "others",
                "category_ids": list(group.category_ids),
            }
            for group in layout.groups
        ],
        "label_remap": [
            {"category_id": cid, "group": group_index, "index": position}
            for cid, (group_index, position) in sorted(layout.remap().items())
        ],
    }


def layout_from_json(payload: dict) -> GroupLayout:
    """Inverse of :func:`layout_to_json` (the remap table is recomputed, then checked)."""
    groups = tuple(
        Group(
            index=i,
            count_range=None if g["count_range"] is None else (g["count_range"][0], g["count_range"][1]),
            category_ids=tuple(g["category_ids"]),
            logit_start=g["logit_start"],
            logit_length=g["logit_length"],
        )
        for i, g in enumerate(payload["groups"])
    )
    layout = GroupLayout(tuple(payload["thresholds"]), groups)
    stored = {row["category_id"]: (row["group"], row["index"]) for row in payload["label_remap"]}
    if stored != layout.remap():
        raise ValueError("label_remap does not match the groups' category lists")
    return layout


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)
