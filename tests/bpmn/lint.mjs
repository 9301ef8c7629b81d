// lint.mjs checks BPMN files written by `larder bpmn`: bpmn-moddle must
// parse each without a warning, and bpmnlint's rules as .bpmnlintrc sets
// them (the recommended ones) must report nothing, error or warning.
// Usage: node lint.mjs FILE.bpmn... (make bpmn-test exports every shipped
// recipe and every step example and runs this on them).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(await readFile(path.join(here, '.bpmnlintrc'), 'utf8'));

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node lint.mjs FILE.bpmn...');
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  const problems = [];
  try {
    const xml = await readFile(file, 'utf8');
    const { rootElement, warnings } = await new BpmnModdle().fromXML(xml);
    for (const w of warnings) {
      problems.push(`bpmn-moddle: ${w.message}`);
    }
    // A new linter per file: bpmnlint caches rules, and some rules keep
    // what they saw between runs.
    const linter = new Linter({ config, resolver: new NodeResolver({ require }) });
    const reports = await linter.lint(rootElement);
    for (const [rule, list] of Object.entries(reports)) {
      for (const r of list) {
        problems.push(`${r.category} ${rule}: ${r.id || ''} ${r.message}`);
      }
    }
  } catch (err) {
    problems.push(`cannot read: ${err.message}`);
  }
  if (problems.length > 0) {
    failed++;
    console.log(`FAIL ${file}`);
    for (const p of problems) {
      console.log(`  ${p}`);
    }
  } else {
    console.log(`ok   ${file}`);
  }
}
console.log(`bpmn: ${files.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
