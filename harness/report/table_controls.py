"""Sorting and filtering of the report's tables, in the page itself (no external script or style).

:func:`table_block` wraps a table with a filter box; :data:`TABLE_SCRIPT` (one inline ``<script>`` at the
end of the page) makes every header of a wrapped table's ``<thead>`` sort its rows when clicked (again:
the other way round; ``aria-sort`` says which) and the box hide the rows that do not contain every word
typed (case-insensitive). A column whose filled cells all start with a number (``22.24 ± 0.44``,
``(10)``, ``+0.88 (...)``) sorts by that number, any other as text with numbers in order; empty cells and
"—" stay last either way. Without JavaScript the tables are shown as they are.
"""

import html

TABLE_CONTROLS_CSS = """
.table-tools { margin: 0.4em 0 0.2em; font-size: 0.9em; }
.table-tools input.table-filter { width: 18em; padding: 0.15em 0.4em; }
.table-block table thead th { cursor: pointer; user-select: none; }
.table-block table thead th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 0.7em; }
.table-block table thead th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 0.7em; }
"""

TABLE_SCRIPT = r"""
(function () {
  "use strict";
  var NUMBER = /^\(?\s*([-+]?\d+(?:\.\d+)?)/;
  function key(row, column) {
    var cell = row.cells[column];
    var text = cell ? cell.textContent.replace(/\s+/g, " ").trim() : "";
    var match = text.match(NUMBER);
    return {text: text, number: match ? parseFloat(match[1]) : null, empty: text === "" || text === "\u2014"};
  }
  function compare(a, b, numeric) {
    if (a.empty || b.empty) { return a.empty === b.empty ? 0 : (a.empty ? 1 : -1); }
    if (numeric) { return a.number - b.number; }
    return a.text.localeCompare(b.text, undefined, {numeric: true, sensitivity: "base"});
  }
  function sortBy(table, header) {
    var column = header.cellIndex;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row, index) { return {row: row, index: index, key: key(row, column)}; });
    var numeric = keys.every(function (k) { return k.key.empty || k.key.number !== null; });
    var sign = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    keys.sort(function (a, b) {
      var order = compare(a.key, b.key, numeric);
      if (!a.key.empty && !b.key.empty) { order *= sign; }
      return order || a.index - b.index;
    });
    keys.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", sign === 1 ? "ascending" : "descending");
  }
  function filter(table, input, count) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      row.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      shown += row.hidden ? 0 : 1;
    });
    count.textContent = words.length ? shown + " of " + rows.length + " rows" : "";
  }
  Array.prototype.forEach.call(document.querySelectorAll("div.table-block"), function (block) {
    var table = block.querySelector("table");
    if (!table || !table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.tabIndex = 0;
      header.title = "sort by this column (click again: the other way round)";
      header.addEventListener("click", function () { sortBy(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, header); }
      });
    });
    var input = block.querySelector("input.table-filter");
    var count = block.querySelector(".filter-count");
    if (input && count) { input.addEventListener("input", function () { filter(table, input, count); }); }
  });
})();
"""


def table_block(table_html: str, label: str, scroll: bool = True) -> str:
    """``table_html`` with a filter box above it, in a ``<div class="table-block">`` the script enhances
    (``label`` names the table for screen readers); ``scroll``: in a box that scrolls sideways (wide
    tables), else as wide as the page (the claims table, whose text wraps)."""
    tools = (f'<div class="table-tools"><input type="search" class="table-filter" placeholder="filter rows" '
             f'aria-label="filter the rows of {html.escape(label)}"> <span class="filter-count muted"></span> '
             '<span class="muted">(click a column header to sort)</span></div>')
    body = f'<div class="scroll">{table_html}</div>' if scroll else table_html
    return f'<div class="table-block">{tools}{body}</div>'
