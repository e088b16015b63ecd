// Writes the hash of the UI's sources (source-inputs.json) into the built bundle, so a test can
// tell when the committed bundle is older than its sources. The Python side
// (stackline/webui/__init__.py, source_hash) computes the same digest: sha256 over each file's
// path relative to web/ (forward slashes, sorted), a NUL, its bytes, a NUL.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const inputs = JSON.parse(readFileSync(join(web, "source-inputs.json"), "utf8"));

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = [
  ...inputs.dirs.flatMap((d) => walk(join(web, d))),
  ...inputs.files.map((f) => join(web, f)),
].map((path) => relative(web, path).split("\\").join("/"));
files.sort();

const hash = createHash("sha256");
for (const file of files) {
  hash.update(file);
  hash.update("\0");
  hash.update(readFileSync(join(web, file)));
  hash.update("\0");
}
const out = join(web, "..", "stackline", "webui", "dist", "source-hash.txt");
writeFileSync(out, hash.digest("hex") + "\n");
console.log(`source hash of ${files.length} files written to ${relative(web, out)}`);
