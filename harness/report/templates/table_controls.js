/* Sorting and filtering of the report's tables (page.html.j2 includes this file verbatim, once).
   Every header of a table inside a div.table-block (the table_block macro of macros.html.j2) sorts the
   rows when clicked (again: the other way round; aria-sort says which), and the block's filter box hides
   the rows that do not contain every word typed (case-insensitive). A column whose filled cells all start
   with a number ("22.24 \u00b1 0.44", "(10)", "+0.88 (...)") sorts by that number, any other as text with
   numbers in order; empty cells and an em dash stay last either way. Without JavaScript the tables are shown
   as they are. */
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
