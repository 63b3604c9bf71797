// Lints the OpenAPI documents with Redocly CLI in one run, and proves the linter has teeth;
// scripts/spec-lint.sh installs the pinned CLI and runs this with Node.js:
//
//   node scripts/spec-lint.mjs REDOCLY_PREFIX
//
// One `redocly lint` process, with redocly.yaml (rules) and .redocly.lint-ignore.yaml (the
// accepted findings), reads, in a temporary directory unless named:
//   - openapi.yaml and sandbox/admin.yaml: any finding that is not accepted fails;
//   - a probe with `nullable` and no `type`: it must fail with that finding alone, so that a broken
//     install or configuration cannot pass everything;
//   - openapi.yaml unchanged, as the baseline of the broken copies (the ignore file does not
//     apply to it: its findings are those the ignore file accepts);
//   - every broken copy of testdata/broken-copies.json (shared with spec_test.go, which holds
//     kin-openapi to the same copies): `old` replaced by `new`, which must change openapi.yaml at
//     exactly one place; the copy must have a finding the baseline does not, and one of them,
//     written `RULE at POINTER: MESSAGE`, must contain the copy's `redocly` text.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const prefix = process.argv[2];
if (!prefix) {
  console.error("usage: node scripts/spec-lint.mjs REDOCLY_PREFIX");
  process.exit(2);
}
const documents = ["openapi.yaml", "sandbox/admin.yaml"];
const failures = [];
const fail = (msg) => failures.push(msg);

const probe = `openapi: 3.0.3
info: {title: probe, version: 1.0.0, license: {name: MIT, url: https://opensource.org/licenses/MIT}}
servers: [{url: 'https://api.probe.invalid'}]
security: []
paths:
  /probe:
    get:
      operationId: probe
      summary: A probe
      description: A probe.
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema: {type: object, properties: {data: {nullable: true}}}
        '400': {description: Bad request}
`;

// readCopies returns the broken copies of the spec, each with its text; a copy that is
// incomplete, or whose `old` does not occur exactly once, is a failure.
function readCopies(spec) {
  const file = "testdata/broken-copies.json";
  const { copies } = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(copies) || copies.length === 0) {
    fail(`${file}: no broken copies`);
    return [];
  }
  return copies.flatMap((c, i) => {
    const name = c.name || `copy ${i + 1}`;
    const empty = ["name", "old", "redocly"].filter((k) => typeof c[k] !== "string" || c[k] === "");
    if (empty.length > 0 || typeof c.new !== "string") {
      fail(`broken copy "${name}": ${empty.concat(typeof c.new !== "string" ? ["new"] : []).join(", ")} missing or empty`);
      return [];
    }
    const n = spec.split(c.old).length - 1;
    if (n !== 1) {
      fail(`broken copy "${name}": old occurs ${n} times in openapi.yaml, want exactly once`);
      return [];
    }
    if (c.old === c.new) {
      fail(`broken copy "${name}": new is old, the copy would change nothing`);
      return [];
    }
    return [{ ...c, text: spec.replace(c.old, () => c.new) }];
  });
}

// lint runs the pinned Redocly CLI once on files and returns each file's problems (by the path
// given) and its count of accepted findings.
function lint(files) {
  const args = ["--prefix", prefix, "--no", "--", "redocly", "lint", "--config", "redocly.yaml",
    "--format", "json", "--max-problems", "100000", ...files];
  const run = spawnSync("npx", args, { encoding: "utf8", maxBuffer: 256 << 20 });
  // One JSON document per file, concatenated: "}{" at the start of a line separates them.
  let reports;
  try {
    reports = JSON.parse(`[${run.stdout.replace(/^\}\{/gm, "},{")}]`);
  } catch {
    reports = [];
  }
  if (run.error || reports.length !== files.length) {
    console.error(`spec-lint: FAIL: Redocly CLI did not report on the ${files.length} files (exit ${run.status}):`);
    console.error(run.error ? String(run.error) : withoutNotice(run.stderr));
    process.exit(1);
  }
  const byFile = new Map(files.map((f) => [f, { problems: [], ignored: 0 }]));
  reports.forEach((r, i) => {
    byFile.get(files[i]).ignored = r.totals.ignored;
    for (const p of r.problems) {
      const ref = p.location?.[0]?.source?.ref;
      (byFile.get(ref) ?? byFile.get(files[i])).problems.push(p);
    }
  });
  return byFile;
}

// withoutNotice drops the boxed notice that Node.js 20 support is ending.
const withoutNotice = (s) => s.replace(/^.*╔[\s\S]*?╚.*\n/m, "");
const finding = (p) => `${p.ruleId} at ${p.location?.[0]?.pointer ?? "?"}: ${p.message.replace(/\s+/g, " ").trim()}`;

const spec = readFileSync("openapi.yaml", "utf8");
const copies = readCopies(spec);
const work = mkdtempSync(join(tmpdir(), "scboauth-spec-lint-"));
try {
  const probeFile = join(work, "probe.yaml");
  const baseFile = join(work, "unbroken.yaml");
  writeFileSync(probeFile, probe);
  writeFileSync(baseFile, spec);
  copies.forEach((c, i) => {
    c.file = join(work, `copy-${String(i + 1).padStart(2, "0")}.yaml`);
    writeFileSync(c.file, c.text);
  });
  const results = lint([...documents, probeFile, baseFile, ...copies.map((c) => c.file)]);

  const probed = results.get(probeFile).problems;
  if (probed.length !== 1 || probed[0].ruleId !== "nullable-type-sibling") {
    fail(`the probe (nullable without type) must fail with nullable-type-sibling alone; got ${probed.length} findings:` +
      probed.map((p) => `\n  ${finding(p)}`).join(""));
  }

  const dirty = documents.filter((d) => results.get(d).problems.length > 0);
  for (const d of documents) {
    const { problems, ignored } = results.get(d);
    if (problems.length === 0) {
      console.log(`spec-lint: ok: ${d}: no findings (${ignored} accepted in .redocly.lint-ignore.yaml)`);
    }
  }

  const base = new Set(results.get(baseFile).problems.map(finding));
  let rejected = 0;
  for (const c of copies) {
    const found = results.get(c.file).problems.map(finding).filter((f) => !base.has(f));
    if (found.length === 0) {
      fail(`broken copy "${c.name}": Redocly CLI accepted it`);
    } else if (!found.some((f) => f.includes(c.redocly))) {
      fail(`broken copy "${c.name}": no finding mentions ${JSON.stringify(c.redocly)}; the findings:` +
        found.map((f) => `\n  ${f}`).join(""));
    } else {
      rejected++;
    }
  }

  if (dirty.length > 0) {
    // Redocly's own report, with the lines at fault.
    const run = spawnSync("npx", ["--prefix", prefix, "--no", "--", "redocly", "lint", "--config", "redocly.yaml", ...dirty],
      { encoding: "utf8" });
    console.log(withoutNotice(run.stdout + run.stderr));
    fail(`${dirty.join(" and ")}: findings that .redocly.lint-ignore.yaml does not accept (above)`);
  }
  for (const f of failures) console.log(`spec-lint: FAIL: ${f}`);
  if (failures.length > 0) process.exit(1);
  console.log(`spec-lint: ok: the probe with nullable and no type fails, with that finding alone`);
  console.log(`spec-lint: ok: ${rejected} of ${copies.length} broken copies of openapi.yaml (testdata/broken-copies.json) rejected, each with its expected finding`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
