"""Figure 2 of the paper: the balanced group softmax (BAGS) module, drawn from the group layout as built.

Top to bottom: RoI feature -> fc_cls -> the logit vector z (to scale, one coloured slice per group),
one box per group (G0 "background / foreground", then G1..GN with "others" and their categories, their
train-instance count range, logit slice [start, start + length) and category count), then
(a) the training flow (per-group softmax + CE; G0 over all RoIs, "others" sampled with ratio beta) and
(b) the testing flow (per-group softmax, score = p_fg x in-group probability, "others" dropped,
background = p_bg) merging into one score vector ordered by category id.

Category ids are listed inside a box only while they fit in a few lines (toy layouts); for real LVIS
layouts (hundreds of categories per group) a box shows only the count.
"""

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle  # noqa: E402

from harness.algorithms.group_layout import BACKGROUND_GROUP, Group, GroupLayout, layout_from_json  # noqa: E402
from harness.io import atomic_path  # noqa: E402

FONT = 9  # smallest font size used anywhere (print readability)
BOX_WIDTH, BOX_GAP = 1.75, 0.18  # inches; one column per group
LEFT_MARGIN, RIGHT_MARGIN = 1.55, 0.25  # the left margin holds the row labels
ID_CHARS_PER_LINE, MAX_ID_LINES = 20, 4
G0_COLOR = "#bbbbbb"


def save_png_svg(fig, png: str | Path, svg: str | Path, dpi: int = 150) -> None:
    """Write ``fig`` as PNG and SVG, each atomically; SVG text stays text (searchable, editable)."""
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "bags-figures"}):
        for path, fmt in ((png, "png"), (svg, "svg")):
            with atomic_path(path) as tmp:
                metadata = {"Date": None} if fmt == "svg" else None
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)


def group_colors(num_foreground: int) -> list[str]:
    """Grey for G0, then cividis (colour-blind safe, monotone in lightness) from rare to frequent groups."""
    cmap = plt.get_cmap("cividis")
    steps = [0.15 + 0.7 * k / max(num_foreground - 1, 1) for k in range(num_foreground)]
    return [G0_COLOR] + [to_hex(cmap(step)) for step in steps]


def tint(color: str, amount: float = 0.72) -> tuple[float, float, float]:
    """``color`` blended with white (box fills light enough for black text)."""
    return tuple(c + (1 - c) * amount for c in to_rgb(color))


def count_text(value: float | None) -> str:
    """A count bound as printed in a box: 4, 2.5, or ∞ for no upper bound."""
    if value is None:
        return "∞"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def count_range_text(group: Group) -> str:
    """The group's train-instance range, 'instances [4, 16)'."""
    lower, upper = group.count_range
    return f"instances [{count_text(lower)}, {count_text(upper)})"


def category_id_lines(group: Group) -> list[str]:
    """'1..n: n categories' and their ids wrapped into at most MAX_ID_LINES lines (else not listed)."""
    count = len(group.category_ids)
    lines = textwrap.wrap("ids " + " ".join(str(cid) for cid in group.category_ids), ID_CHARS_PER_LINE)
    noun = "category" if count == 1 else "categories"
    return [f"1..{count}: {count} {noun}", *(lines if len(lines) <= MAX_ID_LINES else ["(ids not listed)"])]


def group_box_lines(group: Group) -> list[str]:
    """Text lines under the group's name in its box."""
    end = group.logit_start + group.logit_length
    slice_text = f"logits [{group.logit_start}, {end}): {group.logit_length}"
    if group.index == BACKGROUND_GROUP:
        return ["background / foreground", slice_text, "0: background", '1: foreground ("others")']
    return [count_range_text(group), slice_text, "0: others", *category_id_lines(group)]


def others_rule(beta: str) -> list[str]:
    """How 'others' RoIs are chosen for a group's loss, for a beta value as named by the runs."""
    if beta == "n":
        return ["others: all of them", "(active groups only)"]
    if beta == "all":
        return ["others: all of them", "(every group, always)"]
    return ["others: β × #positives", f"(β = {beta})"]


def training_lines(group: Group, beta: str) -> list[str]:
    """Cell text of row (a) for one group."""
    if group.index == BACKGROUND_GROUP:
        return [f"softmax + CE → L{group.index}", "targets bg / fg", "all RoIs, no sampling"]
    return [f"softmax + CE → L{group.index}", "positives: own cats", *others_rule(beta)]


def testing_lines(group: Group) -> list[str]:
    """Cell text of row (b) for one group."""
    if group.index == BACKGROUND_GROUP:
        return ["softmax → p_bg, p_fg", "score_0 = p_bg"]
    return ["softmax → q (in group)", "score_c = p_fg × q_c", "others dropped"]


class Canvas:
    """An axes in inch coordinates (origin bottom left) with the few drawing primitives the figure needs."""

    def __init__(self, width: float, height: float):
        self.fig = plt.figure(figsize=(width, height))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.axis("off")

    def box(self, x: float, bottom: float, width: float, height: float, face, edge="#333333") -> None:
        self.ax.add_patch(FancyBboxPatch((x, bottom), width, height, boxstyle="round,pad=0,rounding_size=0.08",
                                         facecolor=face, edgecolor=edge, linewidth=1.0, zorder=2))

    def text(self, x: float, y: float, lines: list[str], size: float = FONT, **kwargs) -> None:
        kwargs = {"ha": "center", "va": "top", "linespacing": 1.35, "zorder": 3} | kwargs
        self.ax.text(x, y, "\n".join(lines), fontsize=size, **kwargs)

    def arrow(self, start: tuple[float, float], end: tuple[float, float], style: str = "-", color="#333333") -> None:
        self.ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, linestyle=style,
                                          color=color, linewidth=1.1, shrinkA=0, shrinkB=0, zorder=1))


# Vertical layout in inches from the bottom: (top, bottom) of every row.
HEIGHT = 8.6
TITLE_Y, SUBTITLE_Y = 8.5, 8.1
FLOW = (7.75, 7.2)
STRIP = (6.75, 6.45)
GROUP_ROW = (5.9, 3.8)
TRAIN_ROW = (3.5, 2.6)
TEST_ROW = (2.2, 1.45)
MERGE_ROW = (1.05, 0.3)


def column_lefts(num_columns: int) -> tuple[float, list[float]]:
    """Figure width and the left edge of every group column (columns centred right of the row labels)."""
    content = num_columns * BOX_WIDTH + (num_columns - 1) * BOX_GAP
    width = max(10.0, LEFT_MARGIN + content + RIGHT_MARGIN)
    left = LEFT_MARGIN + (width - LEFT_MARGIN - RIGHT_MARGIN - content) / 2
    return width, [left + k * (BOX_WIDTH + BOX_GAP) for k in range(num_columns)]


def strip_widths(lengths: list[int], total_width: float, minimum: float = 0.1) -> list[float]:
    """Slice widths proportional to the logit counts, but never below ``minimum`` inches (G0 has 2 logits)."""
    raw = [total_width * n / sum(lengths) for n in lengths]
    small = [w < minimum for w in raw]
    room = total_width - minimum * sum(small)
    large_total = sum(w for w, s in zip(raw, small) if not s)
    return [minimum if s else w * room / large_total for w, s in zip(raw, small)]


def draw_input_flow(canvas: Canvas, layout: GroupLayout, left: float, width: float) -> None:
    """RoI feature -> fc_cls -> z, and the arrow down into the logit strip."""
    top, bottom = FLOW
    middle = (top + bottom) / 2
    start = min(left, width - RIGHT_MARGIN - 8.2)
    canvas.box(start, bottom, 1.3, top - bottom, "#f2f2f2")
    canvas.text(start + 0.65, middle, ["RoI feature"], va="center")
    fc_left = start + 1.8
    canvas.arrow((start + 1.3, middle), (fc_left, middle))
    canvas.box(fc_left, bottom, 1.7, top - bottom, "#f2f2f2")
    canvas.text(fc_left + 0.85, middle, ["fc_cls (linear)"], va="center")
    canvas.arrow((fc_left + 1.7, middle), (fc_left + 2.2, middle))
    num_categories, num_groups = len(layout.category_ids), len(layout.groups)
    canvas.text(fc_left + 2.3, middle, [f"z: {layout.num_logits} logits = (C + 1) + (N + 1)",
                                        f"= {num_categories + 1} + {num_groups}"], ha="left", va="center")
    canvas.arrow((fc_left + 0.85, bottom), (fc_left + 0.85, STRIP[0]))


def draw_logit_strip(canvas: Canvas, layout: GroupLayout, lefts: list[float], colors: list[str]) -> None:
    """The logit vector to scale, one coloured slice per group, joined to its group box by a light wedge."""
    top, bottom = STRIP
    span = lefts[-1] + BOX_WIDTH - lefts[0]
    widths = strip_widths([group.logit_length for group in layout.groups], span)
    x = lefts[0]
    for group, width, box_left, color in zip(layout.groups, widths, lefts, colors):
        canvas.ax.add_patch(Rectangle((x, bottom), width, top - bottom, facecolor=color, edgecolor="white", zorder=2))
        if width > 0.35:
            text_color = "white" if sum(to_rgb(color)) < 1.5 else "black"
            canvas.text(x + width / 2, (top + bottom) / 2, [group.name], va="center", color=text_color)
        wedge = [(x, bottom), (x + width, bottom), (box_left + BOX_WIDTH, GROUP_ROW[0]), (box_left, GROUP_ROW[0])]
        canvas.ax.add_patch(Polygon(wedge, facecolor=tint(color, 0.8), edgecolor="none", zorder=0))
        x += width
    canvas.text(lefts[0], bottom - 0.04, ["0"], va="top", ha="center")
    canvas.text(lefts[-1] + BOX_WIDTH, bottom - 0.04, [str(layout.num_logits)], va="top", ha="center")


def draw_group_column(canvas: Canvas, group: Group, left: float, color: str, beta: str) -> None:
    """A group's box and its training and testing cells, with the arrows between them."""
    centre = left + BOX_WIDTH / 2
    top, bottom = GROUP_ROW
    canvas.box(left, bottom, BOX_WIDTH, top - bottom, tint(color), edge=color)
    canvas.text(centre, top - 0.08, [group.name], size=12, weight="bold")
    canvas.text(centre, top - 0.42, group_box_lines(group))
    for (row_top, row_bottom), lines in ((TRAIN_ROW, training_lines(group, beta)), (TEST_ROW, testing_lines(group))):
        canvas.box(left + 0.05, row_bottom, BOX_WIDTH - 0.1, row_top - row_bottom, "white", edge=color)
        canvas.text(centre, row_top - 0.1, lines)
    canvas.arrow((centre, bottom), (centre, TRAIN_ROW[0]))
    canvas.arrow((centre, TRAIN_ROW[1]), (centre, TEST_ROW[0]), style=(0, (3, 2)), color="#777777")
    canvas.arrow((centre, TEST_ROW[1]), (centre, MERGE_ROW[0]))


def draw_merge(canvas: Canvas, layout: GroupLayout, lefts: list[float]) -> None:
    """The merged score vector of the testing flow."""
    top, bottom = MERGE_ROW
    width = lefts[-1] + BOX_WIDTH - lefts[0]
    canvas.box(lefts[0], bottom, width, top - bottom, "#f2f2f2")
    lines = ["merge: scores ordered by category id, (score_0, score_1, …, score_C)",
             f"C + 1 = {len(layout.category_ids) + 1} values (need not sum to 1) → per-class NMS"]
    canvas.text(lefts[0] + width / 2, (top + bottom) / 2, lines, va="center")


def draw_row_labels(canvas: Canvas) -> None:
    """Row names in the left margin."""
    labels = [(STRIP, ["logits z", "(to scale)"]), (GROUP_ROW, ["groups", "(logit slices)"]),
              (TRAIN_ROW, ["(a) training", "L = Σ_n L_n"]), (TEST_ROW, ["(b) testing", "same z"]),
              (MERGE_ROW, ["(b) scores"])]
    for (top, bottom), lines in labels:
        canvas.text(0.15, (top + bottom) / 2, lines, ha="left", va="center", size=10, weight="bold")


def title_lines(layout: GroupLayout, layout_json: dict, beta: str) -> tuple[str, str]:
    """Title and subtitle: sizes, beta, thresholds (and their paper-scale counterparts when recorded)."""
    title = (f"BAGS module as built: G0 + {layout.num_foreground_groups} groups, "
             f"C = {len(layout.category_ids)} categories, {layout.num_logits} logits, β = {beta}")
    thresholds = ", ".join(f"{t:g}" for t in layout.thresholds)
    subtitle = f"groups split by train instances at {thresholds}"
    if layout_json.get("paper_scale_thresholds"):
        subtitle += f" (paper scale: {', '.join(f'{t:g}' for t in layout_json['paper_scale_thresholds'])})"
    return title, subtitle + '; index 0 of every group is "others" (G0: background)'


def figure2(layout_json: dict, beta: str = "8"):
    """The figure for a group layout as written by the ``groups`` stage (raises ValueError if inconsistent)."""
    layout = layout_from_json(layout_json)
    width, lefts = column_lefts(len(layout.groups))
    canvas = Canvas(width, HEIGHT)
    colors = group_colors(layout.num_foreground_groups)
    title, subtitle = title_lines(layout, layout_json, beta)
    canvas.text(width / 2, TITLE_Y, [title], size=13, weight="bold")
    canvas.text(width / 2, SUBTITLE_Y, [subtitle], size=10)
    draw_input_flow(canvas, layout, lefts[0], width)
    draw_logit_strip(canvas, layout, lefts, colors)
    for group, left, color in zip(layout.groups, lefts, colors):
        draw_group_column(canvas, group, left, color, beta)
    draw_merge(canvas, layout, lefts)
    draw_row_labels(canvas)
    return canvas.fig


def draw_figure2(layout_json: dict, png: Path, svg: Path, beta: str = "8") -> None:
    """Render Figure 2 for ``layout_json`` and write it as PNG and SVG (atomically)."""
    fig = figure2(layout_json, beta)
    try:
        save_png_svg(fig, png, svg)
    finally:
        plt.close(fig)
