// What the browser tests share: starting wastesim and Larder on free ports
// and stopping them however a run ends, Debian chromium, axe-core's WCAG
// 2.2 A/AA rules with a full-page screenshot of every page, and the
// report that ends a run. run.mjs (resident pages) and staff.mjs (the
// back office) use it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const shots = path.join(here, 'screenshots');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// children are the binaries a run started (wastesim, larder), stopped
// however the run ends.
export const children = [];
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await Promise.all(children.map(stop));
    process.exit(130);
  });
}
// A run that dies of an error nothing caught still asks them to stop.
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});
const violations = []; // { page, url, rule, impact, targets, help }
let pagesChecked = 0;
const toReview = new Set(); // rules axe could not decide ("needs review"); reported, not failed

export function check(ok, message) {
  if (!ok) throw new Error(message);
}

// ---- services -------------------------------------------------------------

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// start runs one of our binaries with its output in logDir/<name>.log.
export function start(name, args, env, logDir) {
  const log = path.join(logDir, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(path.join(root, 'bin', name), args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  child.log = log;
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  return child;
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

// waitReady waits for url to answer 200 (a Larder's /readyz unless given),
// failing at once when one of children has exited.
export async function waitReady(base, seconds = 90, url = `${base}/readyz`) {
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
    for (const c of children) check(c.exitCode === null, `bin/${path.basename(c.spawnfile)} exited early (${c.exitCode}); see ${c.log}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${seconds}s`);
}

export async function getJSON(url) {
  const res = await fetch(url);
  check(res.ok, `GET ${url}: ${res.status}`);
  return res.json();
}

// tailLogs prints the last lines of each child's log, after a failure.
export function tailLogs() {
  for (const c of children) console.error(`--- last lines of ${c.log}\n${fs.readFileSync(c.log, 'utf8').split('\n').slice(-15).join('\n')}`);
}

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumArgs });
}

// ---- every page: axe and a screenshot ---------------------------------------

export function screenshotNamer(prefix) {
  let n = 0;
  return (name) => path.join(shots, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`);
}

export async function audit(page, shot, name) {
  await page.screenshot({ path: shot(name), fullPage: true });
  const result = await page.evaluate(async ([src, tags]) => {
    if (!window.axe) (0, eval)(src);
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    const list = (vs) => vs.map((v) => ({ rule: v.id, impact: v.impact, help: v.helpUrl, targets: v.nodes.map((n) => n.target.join(' ')) }));
    return { violations: list(r.violations), review: list(r.incomplete) };
  }, [axeSource, wcagTags]);
  pagesChecked++;
  for (const v of result.review) toReview.add(v.rule);
  const found = result.violations;
  for (const v of found) violations.push({ page: name, url: page.url(), ...v });
  console.log(`  ${found.length ? 'FAIL' : 'ok  '} ${name.padEnd(16)} ${new URL(page.url()).pathname}${found.length ? ` (${found.length} axe violations)` : ''}`);
}

// ---- pages ------------------------------------------------------------------

// clickAndWait clicks a link or button and waits for the page it loads.
export async function clickAndWait(page, locator) {
  const loaded = page.waitForEvent('load');
  try {
    await locator.click();
  } catch (err) {
    loaded.catch(() => {}); // no page is coming
    throw err;
  }
  await loaded;
}

// expectErrorSummary checks a page shown with errors: the summary, the
// "Error: " title and a summary link that takes focus to its question.
export async function expectErrorSummary(page) {
  const summary = page.locator('.govuk-error-summary');
  const shown = await summary.waitFor({ timeout: 5000 }).then(() => true, () => false);
  check(shown, `${page.url()}: no govuk-error-summary after sending an empty page`);
  const title = await page.title();
  check(title.startsWith('Error: '), `${page.url()}: title "${title}" does not start with "Error: "`);
  const link = summary.locator('a').first();
  const target = (await link.getAttribute('href')).replace(/^#/, '');
  check(await page.locator(`[id="${target}"]`).count() === 1, `${page.url()}: error summary links to #${target}, which is not on the page`);
  await link.click();
  const focused = await page.evaluate(() => document.activeElement?.id);
  check(focused === target, `${page.url()}: error summary link #${target} focused "${focused}" instead`);
}

// ---- the end ----------------------------------------------------------------

// finish reports axe's findings and the failure, if any, as "<name>
// FAILED" or "<name> passed", and exits non-zero on either.
export function finish(name, failure) {
  for (const v of violations) {
    console.error(`axe: ${v.page} ${v.url}\n  ${v.rule} (${v.impact}): ${v.targets.join(', ')}\n  ${v.help}`);
  }
  if (toReview.size) console.log(`axe needs a person to review: ${[...toReview].sort().join(', ')}`);
  if (violations.length) {
    const pages = new Set(violations.map((v) => `${v.page} ${v.url}`)).size;
    console.error(`\n${name} FAILED: ${violations.length} WCAG 2.2 A/AA violations on ${pages} of ${pagesChecked} pages`);
  }
  if (failure) console.error(`\n${name} FAILED: ${failure.message}`);
  if (failure || violations.length) process.exit(1);
  console.log(`\n${name} passed: ${pagesChecked} pages, no WCAG 2.2 A/AA violations; screenshots in tests/browser/screenshots/`);
}
