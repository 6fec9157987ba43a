/* Derived & Verified: check your answer on the page, offline.
 *
 * Every `input[data-claim]` (book/_ext/answer_fields.py puts them under exercises and
 * results) is checked when its button is pressed or Enter is typed in it; the verdict is
 * written to the nearest `.verdict` element. Every `form.dv-student` checks a student's own
 * numbers of the course network against their answer key, per quantity, without showing it.
 *
 * The checks run in a Web Worker (checker/worker.js) with Pyodide and the project's own
 * Python code (verify.answers.offline: the parser and equivalence rules of
 * `python -m verify check-answer`), all served from this book's _static/checker folder.
 * Nothing is fetched before a field is first used (focused), nothing from another host ever. A check that
 * runs past its time limit is stopped (the worker is terminated and started again on the
 * next check), so no answer can hang the page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = new URL("checker/", script ? script.src : document.baseURI);
  /* Milliseconds a check may take: the first includes starting Python (a cold start fetches
   * and compiles about 30 MB); the others have the Python side's own budgets (about 2 s) and
   * this as a safety net. */
  var FIRST_LIMIT = 90000;
  var LIMIT = 15000;

  var worker = null;
  var started = null;
  var calls = {};
  var next = 1;

  function start() {
    worker = new Worker(new URL("worker.js", base));
    started = false;
    worker.onmessage = function (event) {
      var m = event.data;
      var call = calls[m.id];
      if (!call) return;
      delete calls[m.id];
      clearTimeout(call.timer);
      call.resolve(m);
    };
    worker.onerror = function (event) {
      event.preventDefault();
      fail("the checker could not start (" + (event.message || "a worker error") + ")");
    };
  }

  function fail(message) {
    Object.keys(calls).forEach(function (id) {
      var call = calls[id];
      clearTimeout(call.timer);
      call.resolve({ verdict: "error", message: message });
      delete calls[id];
    });
    if (worker) worker.terminate();
    worker = null;
    warmed = {};
  }

  /* Runs one request in the worker; resolves with its answer, or with a "cannot check" when
   * the time limit passes (then the worker is stopped). */
  function ask(request) {
    if (!worker) start();
    var limit = started ? LIMIT : FIRST_LIMIT;
    var id = next++;
    request.id = id;
    return new Promise(function (resolve) {
      var timer = setTimeout(function () {
        delete calls[id];
        if (worker) worker.terminate();
        worker = null;
        warmed = {};
        resolve({
          verdict: "cannot check",
          message:
            "cannot check: the check took over " + limit / 1000 + " s and was stopped; " +
            "write the answer more simply",
        });
      }, limit);
      calls[id] = {
        resolve: function (m) {
          started = true;
          resolve(m);
        },
        timer: timer,
      };
      worker.postMessage(request);
    });
  }

  var CLASSES = {
    equivalent: "dv-verdict-right",
    right: "dv-verdict-right",
    "not equivalent": "dv-verdict-wrong",
    wrong: "dv-verdict-wrong",
  };

  function show(output, result) {
    output.textContent = result.message;
    output.className = output.className.replace(/\s*dv-verdict-\S+/g, "");
    output.classList.add(CLASSES[result.verdict] || "dv-verdict-unsure");
    output.dataset.verdict = result.verdict;
    if (result.seconds !== undefined) output.dataset.seconds = String(result.seconds);
  }

  function nearestVerdict(element) {
    var box = element.closest(".dv-check, .dv-student-row, form, li, p, div");
    return box ? box.querySelector(".verdict") : null;
  }

  function check(input) {
    var output = nearestVerdict(input);
    if (!output) return;
    var text = input.value;
    if (!text.trim()) {
      show(output, { verdict: "error", message: "type an answer first" });
      return;
    }
    output.textContent = started ? "checking…" : "starting the checker (the first check takes a few seconds)…";
    output.dataset.verdict = "pending";
    var t0 = performance.now();
    ask({ op: "check", claim: input.dataset.claim, text: text }).then(function (result) {
      result.ms = performance.now() - t0;
      // refused text reads as the command line prints it
      if (result.verdict === "error" && result.message.indexOf("error: ") !== 0) {
        result.message = "error: " + result.message;
      }
      output.dataset.ms = String(Math.round(result.ms));
      show(output, result);
    });
  }

  function checkStudent(form) {
    var summary = form.querySelector(".dv-student-summary");
    var id = form.querySelector("[data-student-id]").value;
    var answers = {};
    var outputs = {};
    form.querySelectorAll(".dv-student-row").forEach(function (row) {
      var input = row.querySelector(".dv-student-input");
      if (!input || !input.value.trim()) return;
      var quantity = input.dataset.quantity;
      var entry = row.querySelector(".dv-student-entry");
      if (entry) quantity = entry.value.trim();
      if (!quantity) {
        show(row.querySelector(".verdict"), { verdict: "error", message: "name the entry first" });
        return;
      }
      answers[quantity] = input.value;
      outputs[quantity] = row.querySelector(".verdict");
    });
    if (!Object.keys(answers).length) {
      show(summary, { verdict: "error", message: "type at least one of your numbers" });
      return;
    }
    summary.textContent = started ? "checking…" : "starting the checker (the first check takes a few seconds)…";
    summary.dataset.verdict = "pending";
    var t0 = performance.now();
    var options = JSON.parse(form.dataset.options || "{}");
    ask({ op: "student", student: id, answers: answers, options: options }).then(function (result) {
      summary.dataset.ms = String(Math.round(performance.now() - t0));
      if (!result.results) {
        show(summary, result);
        return;
      }
      var right = 0;
      result.results.forEach(function (r) {
        var output = outputs[r.quantity];
        if (output) show(output, r);
        if (r.verdict === "right") right += 1;
      });
      show(summary, {
        verdict: right === result.results.length ? "right" : "wrong",
        message: right + " of " + result.results.length + " right",
      });
    });
  }

  /* The first use starts the checker: focusing a field starts Python and imports the checker
   * while the answer is being typed (nothing is fetched before). */
  var warmed = {};
  document.addEventListener("focusin", function (event) {
    var t = event.target;
    if (!t.matches) return;
    var what = t.matches("input[data-claim]") ? "claim" : t.closest("form.dv-student") ? "student" : null;
    if (!what || warmed[what]) return;
    warmed[what] = true;
    if (!worker) start();
    worker.postMessage({ op: "warm", what: what });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".dv-check-go, .dv-student-go");
    if (!button) return;
    if (button.classList.contains("dv-student-go")) {
      checkStudent(button.closest("form.dv-student"));
    } else {
      var input = button.closest(".dv-check").querySelector("input[data-claim]");
      if (input) check(input);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches) return;
    if (event.target.matches("input[data-claim]")) {
      event.preventDefault();
      check(event.target);
    } else if (event.target.closest("form.dv-student")) {
      event.preventDefault();
      checkStudent(event.target.closest("form.dv-student"));
    }
  });
})();
