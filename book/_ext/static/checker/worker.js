/* Derived & Verified: the in-book checker's worker (started by checker.js on the first check).
 *
 * Starts Pyodide from ./pyodide/, unpacks SymPy and mpmath (./python.zip, compiled to
 * bytecode at build time) and the project's packages (./dv.zip), reads the claims' derived
 * results (./references.json, exported at build time) and answers requests:
 *   {id, op: "check", claim, text}                    -> verify.answers.offline
 *   {id, op: "student", student, answers, options}    -> verify.offline.student
 * Every file comes from this folder: nothing from another host.
 */
/* global importScripts, loadPyodide */
"use strict";

importScripts("pyodide/pyodide.js");

var here = new URL(".", self.location.href);
var python = null;

function fetched(name) {
  return fetch(new URL(name, here)).then(function (r) {
    if (!r.ok) throw new Error(name + ": HTTP " + r.status);
    return r.arrayBuffer();
  });
}

function boot() {
  return Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", here).href, stdout: function () {}, stderr: function () {} }),
    fetched("python.zip"),
    fetched("dv.zip"),
    fetched("references.json"),
  ]).then(function (parts) {
    var py = parts[0];
    var site = py.runPython("import site; site.getsitepackages()[0]");
    py.unpackArchive(parts[1], "zip", { extractDir: site });
    py.unpackArchive(parts[2], "zip", { extractDir: "/home/pyodide/dv" });
    py.FS.writeFile("/home/pyodide/references.json", new Uint8Array(parts[3]));
    py.runPython(
      [
        "import sys",
        "sys.path.insert(0, '/home/pyodide/dv')",
        "import json",
        "from verify.answers import offline as _offline",
        "from verify.offline import student as _student",
        "_REFERENCES = _offline.load('/home/pyodide/references.json')",
        "def _check(claim, text):",
        "    return json.dumps(_offline.check_json(_REFERENCES, claim, text))",
        "def _check_student(sid, answers, options):",
        "    return json.dumps(_student.check_json(sid, answers.to_py(), options.to_py()))",
      ].join("\n"),
    );
    return py;
  });
}

var ready = null;

self.onmessage = function (event) {
  var m = event.data;
  if (!ready) ready = boot();
  ready
    .then(function (py) {
      var t0 = performance.now();
      var out;
      if (m.op === "check") {
        out = JSON.parse(py.globals.get("_check")(String(m.claim), String(m.text)));
      } else if (m.op === "student") {
        var answers = py.toPy(m.answers);
        var options = py.toPy(m.options || {});
        out = JSON.parse(py.globals.get("_check_student")(String(m.student), answers, options));
        answers.destroy();
        options.destroy();
      } else {
        out = { verdict: "error", message: "unknown request " + m.op };
      }
      out.worker_ms = performance.now() - t0;
      out.id = m.id;
      self.postMessage(out);
    })
    .catch(function (err) {
      self.postMessage({ id: m.id, verdict: "error", message: "the checker failed: " + String(err && err.message || err).slice(0, 400) });
    });
};
