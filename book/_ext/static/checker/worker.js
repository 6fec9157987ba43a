/* Derived & Verified: the in-book checker's worker (started by checker.js on first use).
 *
 * Starts Pyodide from ./pyodide/, unpacks SymPy and mpmath (./python.zip, compiled to
 * bytecode at build time) and the project's packages (./dv.zip), reads the claims' derived
 * results (./references.json, exported at build time) and answers requests:
 *   {id, op: "check", claim, text}                    -> verify.answers.offline.check_json
 *   {id, op: "student", student, answers, options}    -> verify.offline.student.check_json
 *   {op: "warm", what: "claim" | "student"}           -> start and import, answer nothing
 * Every file comes from this folder: nothing from another host.
 */
/* global importScripts, loadPyodide */
"use strict";

importScripts("pyodide/pyodide.js");

var here = new URL(".", self.location.href);

function fetched(name) {
  return fetch(new URL(name, here)).then(function (r) {
    if (!r.ok) throw new Error(name + ": HTTP " + r.status);
    return r.arrayBuffer();
  });
}

var GLUE = [
  "import json, sys",
  "sys.path.insert(0, '/home/pyodide/dv')",
  "_LOADED = {}",
  "def _warm(what):",
  "    if what == 'student':",
  "        from verify.offline import student",
  "        return",
  "    if not _LOADED:",
  "        from verify.answers import offline",
  "        with open('/home/pyodide/references.json') as f:",
  "            _LOADED['references'] = json.load(f)",
  "        _LOADED['offline'] = offline",
  "        # one wrong answer checked while the student types: the first real check then",
  "        # finds the evaluation code loaded and compiled",
  "        refs = _LOADED['references'].get('claims', {})",
  "        some = [c for c, r in refs.items() if r['variables'] == ['x']]",
  "        if some:",
  "            try:",
  "                offline.check_json(_LOADED['references'], some[0], '1 + 7*x')",
  "            except Exception:",
  "                pass",
  "def _check(claim, text):",
  "    _warm('claim')",
  "    return json.dumps(_LOADED['offline'].check_json(_LOADED['references'], claim, text))",
  "def _check_student(sid, answers, options):",
  "    from verify.offline import student",
  "    return json.dumps(student.check_json(sid, json.loads(answers), json.loads(options)))",
].join("\n");

function boot() {
  var quiet = function () {};
  return Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", here).href, stdout: quiet, stderr: quiet }),
    fetched("python.zip"),
    fetched("dv.zip"),
    fetched("references.json"),
  ]).then(function (parts) {
    var py = parts[0];
    var site = py.runPython("import site; site.getsitepackages()[0]");
    py.unpackArchive(parts[1], "zip", { extractDir: site });
    py.unpackArchive(parts[2], "zip", { extractDir: "/home/pyodide/dv" });
    py.FS.writeFile("/home/pyodide/references.json", new Uint8Array(parts[3]));
    py.runPython(GLUE);
    return py;
  });
}

var ready = null;

function answer(py, m) {
  if (m.op === "warm") {
    py.globals.get("_warm")(m.what === "student" ? "student" : "claim");
    return null;
  }
  if (m.op === "check") {
    return JSON.parse(py.globals.get("_check")(String(m.claim), String(m.text)));
  }
  if (m.op === "student") {
    var answers = JSON.stringify(m.answers || {});
    var options = JSON.stringify(m.options || {});
    return JSON.parse(py.globals.get("_check_student")(String(m.student), answers, options));
  }
  return { verdict: "error", message: "unknown request " + m.op };
}

self.onmessage = function (event) {
  var m = event.data;
  if (!ready) ready = boot();
  ready
    .then(function (py) {
      var t0 = performance.now();
      var out = answer(py, m);
      if (out === null) return;
      out.worker_ms = performance.now() - t0;
      out.id = m.id;
      self.postMessage(out);
    })
    .catch(function (err) {
      if (m.id === undefined) return; // a warm-up's failure shows on the next check
      var why = String((err && err.message) || err);
      self.postMessage({
        id: m.id,
        verdict: "error",
        message: "the checker failed: " + why.split("\n").filter(Boolean).slice(-1)[0].slice(0, 300),
      });
    });
};
