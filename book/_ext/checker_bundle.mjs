// Build the in-book checker's Python packages: SymPy and mpmath, compiled by Pyodide itself.
//
//   node book/_ext/checker_bundle.mjs PYODIDE_DIR OUT.zip WHEEL...
//
// Pyodide (from the npm package in PYODIDE_DIR) unpacks each pure-Python wheel (from PyPI),
// drops their test suites, compiles every module to bytecode for its own Python (unchecked-hash .pyc files, which the
// import system uses without comparing them with the sources), and zips the packages. The
// browser unpacks that one zip on the first check and imports without compiling: the import
// of SymPy, which dominates a cold start, then reads bytecode instead of compiling source.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, out, ...wheels] = process.argv.slice(2);
if (!pyodideDir || !out || wheels.length === 0) {
  console.error("usage: node checker_bundle.mjs PYODIDE_DIR OUT.zip WHEEL...");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/" });
py.runPython("import os; os.makedirs('/bundle', exist_ok=True)");
for (const wheel of wheels) {
  py.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: "/bundle" });
}
const zipped = py.runPython(`
import compileall, io, os, py_compile, shutil, zipfile
# the packages' own test suites are never imported by a check: a third of the bytes
for root, dirs, files in os.walk("/bundle", topdown=True):
    for d in [d for d in dirs if d in ("tests", "benchmarks")]:
        shutil.rmtree(os.path.join(root, d))
        dirs.remove(d)
ok = compileall.compile_dir(
    "/bundle", quiet=1, workers=1,
    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
)
if not ok:
    raise SystemExit("compileall failed")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    for root, dirs, files in os.walk("/bundle"):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            info = zipfile.ZipInfo(os.path.relpath(full, "/bundle"), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as f:
                z.writestr(info, f.read())
buf.getvalue()
`);
const bytes = zipped.toJs();
zipped.destroy();
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out + ".part", bytes);
fs.renameSync(out + ".part", out);
console.log(`${out}: ${(bytes.length / 1e6).toFixed(1)} MB`);
