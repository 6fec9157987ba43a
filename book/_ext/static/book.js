/* Derived & Verified: small fixes to sphinx-book-theme 1.3.0 / pydata-sphinx-theme 0.17.1.
 *
 * 1. Every ☰ button works. Both themes bind only the first `.primary-toggle` (and
 *    `.secondary-toggle`) of the page, which is a hidden button in the header
 *    (pydata-sphinx-theme issue 2451); the visible ones in the article header only show a
 *    tooltip. A click on any other toggle is forwarded to the bound one, so the themes' own
 *    code does the work: below 992 px it opens the sidebar as a dialog, above it collapses or
 *    re-opens the primary sidebar. The forwarded click stops the original one, so if a later
 *    theme binds every button, a click still acts once.
 * 2. A scroll cue: a box that scrolls sideways (a display equation wider than its column)
 *    gets the class `dv-scrolls`, which book.css draws as an inner shadow at each edge that
 *    hides content (`dv-scrolled`: some is hidden on the left; `dv-scroll-end`: none is
 *    hidden on the right).
 * 3. Evidence tables reflow on a phone: each cell of a table in a cell output is labelled with
 *    its column header (`data-label`), which book.css shows when the rows become cards.
 * 4. Print: dropdowns are opened and equations wider than the page are scaled to fit, and
 *    put back afterwards.
 */
(function () {
  "use strict";

  /* 1. Toggles. Capture phase on the document runs before any listener on the button. */
  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest(".primary-toggle, .secondary-toggle");
      if (!button) return;
      var kind = button.classList.contains("primary-toggle") ? ".primary-toggle" : ".secondary-toggle";
      var bound = document.querySelector(kind);
      if (!bound || bound === button) return;
      event.preventDefault();
      event.stopPropagation();
      button.blur(); // dismisses the tooltip the button would otherwise keep showing
      bound.click();
    },
    true,
  );

  /* 2. Scroll cue. The boxes that scroll sideways in the article: MathJax's display
   * containers (the theme sets overflow: auto on them), inline math and the other boxes
   * book.css or the theme make scroll (tables, code, outputs). */
  var SCROLLERS = [
    "div.math > mjx-container",
    "div.math",
    "span.math",
    ".pst-scrollable-table-container",
    "div.cell_output table",
    "div.highlight pre",
    "div.cell_output pre",
    ".dv-scroll",
  ].join(", ");

  function markScrollers() {
    document.querySelectorAll(".bd-article " + SCROLLERS.split(", ").join(", .bd-article ")).forEach(function (box) {
      var x = getComputedStyle(box).overflowX;
      var scrolls = (x === "auto" || x === "scroll") && box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("dv-scrolls", scrolls);
      if (scrolls && !box.dvWatched) {
        box.dvWatched = true;
        box.addEventListener("scroll", function () { markEnds(box); }, { passive: true });
      }
      markEnds(box);
    });
  }

  /* Which sides hide content: the shade is drawn on those only. */
  function markEnds(box) {
    var scrolls = box.classList.contains("dv-scrolls");
    var left = Math.abs(box.scrollLeft);
    box.classList.toggle("dv-scrolled", scrolls && left > 1);
    box.classList.toggle("dv-scroll-end", scrolls && left + box.clientWidth >= box.scrollWidth - 1);
  }

  var pending = false;
  function scheduleMark() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      markScrollers();
    });
  }

  /* 3. Table labels. */
  function labelTables() {
    document.querySelectorAll(".bd-article div.cell_output table").forEach(function (table) {
      var heads = Array.from(table.querySelectorAll("thead th")).map(function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) return;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.from(row.children).forEach(function (cell, i) {
          if (!heads[i]) return;
          cell.setAttribute("data-label", heads[i]);
          // One box for the value, so a card lays out label | value whatever the cell holds.
          var value = document.createElement("div");
          value.className = "dv-cell-value";
          while (cell.firstChild) value.appendChild(cell.firstChild);
          cell.appendChild(value);
        });
      });
      table.classList.add("dv-cards");
    });
  }

  /* 4. Print. */
  var PRINT_SCALED = ".bd-article div.math, .bd-article span.math";

  /* The box an inline formula must fit in: its nearest block ancestor (a table cell's value
     in a card), but never past the article's column. */
  function printRoom(box, column) {
    var frame = box.parentElement;
    while (frame && frame !== document.body && getComputedStyle(frame).display.indexOf("inline") === 0) {
      frame = frame.parentElement;
    }
    frame = box.closest(".dv-cell-value, td") || frame || box;
    var style = getComputedStyle(frame);
    var left = frame.getBoundingClientRect().left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
    return Math.min(frame.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight), column - left);
  }
  var opened = [];
  function beforePrint() {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.setAttribute("open", "");
      opened.push(d);
    });
    var article = document.querySelector(".bd-article");
    var column = article ? article.getBoundingClientRect().right : window.innerWidth;
    var boxes = Array.from(document.querySelectorAll(PRINT_SCALED));
    boxes.forEach(function (box) {
      box.style.zoom = "";
    });
    // Measured first, then scaled: a zoom changes the layout the next box is measured in.
    var zooms = boxes.map(function (box) {
      var inner = box.querySelector("mjx-container") || box;
      // A display equation fits its own box; inline math the block it sits in.
      var have = box.tagName === "DIV" ? box.clientWidth : printRoom(box, column);
      var need = inner.scrollWidth;
      return need > have && have > 0 ? String(Math.max(0.25, have / need)) : "";
    });
    boxes.forEach(function (box, i) {
      box.style.zoom = zooms[i];
    });
    // Tells a printing script (and the print tests) that the print layout is in place.
    document.documentElement.setAttribute("data-dv-print", "laid-out");
  }
  function afterPrint() {
    opened.forEach(function (d) {
      d.removeAttribute("open");
    });
    opened = [];
    document.querySelectorAll(PRINT_SCALED).forEach(function (box) {
      box.style.zoom = "";
    });
    document.documentElement.removeAttribute("data-dv-print");
  }
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  var printQuery = window.matchMedia("print");
  printQuery.addEventListener("change", function (q) {
    if (q.matches) beforePrint();
    else afterPrint();
  });

  function start() {
    labelTables();
    markScrollers();
    window.addEventListener("resize", scheduleMark);
    // Sizes change when fonts load and when MathJax typesets (client-side math).
    if ("ResizeObserver" in window) {
      var observer = new ResizeObserver(scheduleMark);
      document.querySelectorAll(".bd-article div.math, .bd-article").forEach(function (el) {
        observer.observe(el);
      });
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(scheduleMark);
    }
    window.addEventListener("load", scheduleMark);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
