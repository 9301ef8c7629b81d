// Real-browser test of the resident pages: starts wastesim and Larder on free
// ports, drives every shipped recipe's journey in Debian chromium (an error,
// a change from Check your answers, save and come back later, sending, the
// track page), runs axe-core's WCAG 2.2 A/AA rules on every page visited and
// saves a full-page screenshot of each. Exits non-zero on any failure.
//
//   node run.mjs            (from tests/browser, after `make build`)
//   CHROMIUM=/path/to/chrome node run.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const shots = path.join(here, 'screenshots');
const photo = path.join(here, 'fixtures', 'photo.png');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const children = []; // wastesim and larder, stopped however the run ends
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await Promise.all(children.map(stop));
    process.exit(130);
  });
}
const violations = []; // { page, url, rule, impact, targets, help }
let pagesChecked = 0;
const toReview = new Set(); // rules axe could not decide ("needs review"); reported, not failed

function check(ok, message) {
  if (!ok) throw new Error(message);
}

// ---- services -------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// start runs one of our binaries with its output in logDir/<name>.log.
function start(name, args, env, logDir) {
  const log = path.join(logDir, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(path.join(root, 'bin', name), args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  child.log = log;
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

async function waitReady(base, seconds = 90) {
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
    for (const c of children) check(c.exitCode === null, `bin/${path.basename(c.spawnfile)} exited early (${c.exitCode}); see ${c.log}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${base}/readyz did not answer 200 within ${seconds}s`);
}

async function getJSON(url) {
  const res = await fetch(url);
  check(res.ok, `GET ${url}: ${res.status}`);
  return res.json();
}

// ---- every page: axe and a screenshot ---------------------------------------

function screenshotNamer(prefix) {
  let n = 0;
  return (name) => path.join(shots, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`);
}

async function audit(page, shot, name) {
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

// ---- the journey ------------------------------------------------------------

// clickAndWait clicks a link or button and waits for the page it loads.
async function clickAndWait(page, locator) {
  const loaded = page.waitForEvent('load');
  await locator.click();
  await loaded;
}

// expectErrorSummary checks a page shown with errors: the summary, the
// "Error: " title and a summary link that takes focus to its question.
async function expectErrorSummary(page) {
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

// fill answers the questions of the page shown, from their examples, and
// says whether it attached the photo.
async function fill(page, fields) {
  let attached = false;
  for (const f of fields) {
    const present = await page.locator(`[name="${f.id}"], [name="${f.id}-day"]`).count();
    if (!present) continue; // a question hidden by show_if
    const ex = f.example ?? '';
    if (f.type === 'file') {
      await page.setInputFiles(`#${f.id}`, photo);
      attached = true;
      continue;
    }
    if (!ex) {
      check(!f.required, `question ${f.id} is required but has no example`);
      continue;
    }
    switch (f.type) {
      case 'date': {
        const [y, m, d] = ex.split('-');
        await page.fill(`#${f.id}-day`, d);
        await page.fill(`#${f.id}-month`, m);
        await page.fill(`#${f.id}-year`, y);
        break;
      }
      case 'radios': case 'yesno': case 'address': {
        const radio = page.locator(`input[name="${f.id}"][value="${ex}"]`);
        check(await radio.count() === 1, `${page.url()}: no choice with value "${ex}" for ${f.id}`);
        await radio.check();
        break;
      }
      case 'checkboxes':
        for (const v of ex.split(',')) await page.check(`input[name="${f.id}"][value="${v.trim()}"]`);
        break;
      case 'select':
        await page.selectOption(`#${f.id}`, ex);
        break;
      default: // text, email, phone, number, postcode, textarea
        await page.fill(`#${f.id}`, ex);
    }
  }
  return attached;
}

async function journey(page, base, id, shot) {
  const form = await getJSON(`${base}/api/v1/services/${id}`);
  const pages = new Map(form.pages.map((p) => [p.id, p]));
  const pageOf = (url) => new URL(url).pathname.match(new RegExp(`^/services/${id}/pages/([^/]+)$`))?.[1];

  await page.goto(`${base}/services/${id}`);
  await audit(page, shot, 'start');
  await clickAndWait(page, page.getByRole('button', { name: 'Start now' }));

  let errorShown = false;
  const visited = new Set();
  let attached = false;
  for (let steps = 0; pageOf(page.url()); steps++) {
    check(steps < 3 * form.pages.length, `journey did not reach Check your answers; stuck at ${page.url()}`);
    const p = pages.get(pageOf(page.url()));
    check(p, `${page.url()}: page is not in GET /api/v1/services/${id}`);
    visited.add(p.id);
    await audit(page, shot, p.id);
    if (!errorShown && p.fields.some((f) => f.required)) {
      await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
      await expectErrorSummary(page);
      await audit(page, shot, `${p.id}-error`);
      errorShown = true;
    }
    if (await fill(page, p.fields)) attached = true;
    await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
  }
  check(errorShown, `${id}: no page has a required question, so no error was shown`);
  const checkURL = `${base}/services/${id}/check`;
  const atCheck = () => new URL(page.url()).pathname === `/services/${id}/check`;
  check(atCheck(), `expected Check your answers, got ${page.url()}`);
  await audit(page, shot, 'check');
  const answers = await page.locator('.govuk-summary-list').innerText();
  check(!attached || answers.includes(path.basename(photo)), `Check your answers does not list the attached ${path.basename(photo)}`);

  // A change from Check your answers returns to it.
  await clickAndWait(page, page.locator('.govuk-summary-list__actions a').first());
  const changed = pageOf(page.url());
  check(changed && new URL(page.url()).searchParams.get('return') === 'check', `Change link went to ${page.url()}`);
  await audit(page, shot, `change-${changed}`);
  await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
  check(atCheck(), `after a change, Continue went to ${page.url()}, not Check your answers`);

  // Save and come back later, sent with no email address.
  await clickAndWait(page, page.getByRole('link', { name: 'Save and come back later' }));
  await audit(page, shot, 'save');
  await clickAndWait(page, page.getByRole('button', { name: 'Send me the link' }));
  await expectErrorSummary(page);
  await audit(page, shot, 'save-error');
  await page.fill('#email', 'sam@example.com');
  await clickAndWait(page, page.getByRole('button', { name: 'Send me the link' }));
  check(await page.getByRole('heading', { name: 'Your answers have been saved' }).isVisible(), `${page.url()}: saving did not confirm`);
  await audit(page, shot, 'saved');

  // Pages the answers skipped (show_if) are still checked with axe.
  for (const p of form.pages.filter((p) => !visited.has(p.id))) {
    await page.goto(`${base}/services/${id}/pages/${p.id}`);
    await audit(page, shot, `${p.id}-skipped`);
  }
  await page.goto(checkURL);
  check(atCheck(), `after saving, Check your answers went to ${page.url()}`);

  await clickAndWait(page, page.getByRole('button', { name: 'Accept and send' }));
  const panel = (await page.locator('.govuk-panel--confirmation').innerText()) ?? '';
  const ref = panel.match(new RegExp(`\\b${form.reference_prefix}-[A-Z0-9]{4}-[A-Z0-9]{4}\\b`))?.[0];
  check(ref, `${page.url()}: confirmation panel shows no ${form.reference_prefix}-XXXX-XXXX reference: "${panel.trim()}"`);
  await audit(page, shot, 'confirmation');
  await clickAndWait(page, page.getByRole('link', { name: `Check the progress of ${ref}` }));
  check(new URL(page.url()).pathname === `/track/${ref}`, `progress link went to ${page.url()}`);
  await audit(page, shot, 'track');
  console.log(`  sent ${ref}`);
}

async function sitePages(page, base) {
  const shot = screenshotNamer('site');
  await page.goto(`${base}/`);
  await audit(page, shot, 'home');
  const res = await page.goto(`${base}/services/no-such-service`);
  check(res.status() === 404, `/services/no-such-service answered ${res.status()}, not 404`);
  await audit(page, shot, 'not-found');
}

// ---- main -------------------------------------------------------------------

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'larder-browser-'));
  const [wastePort, larderPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${larderPort}`;
  let browser;
  try {
    children.push(start('wastesim', ['-addr', `127.0.0.1:${wastePort}`], {}, tmp));
    children.push(start('larder', ['serve', '--data-dir', path.join(tmp, 'data'), '--http-address', `127.0.0.1:${larderPort}`, '--recipes-dir', 'recipes'], {
      WASTE_URL: `http://127.0.0.1:${wastePort}`, LARDER_STAFF_TOKEN: 'browser-test', LARDER_SUBMISSIONS_PER_MINUTE: '1000',
    }, tmp));
    await waitReady(base);

    fs.rmSync(shots, { recursive: true, force: true });
    fs.mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumArgs });
    const { services } = await getJSON(`${base}/api/v1/services`);
    check(services.length > 0, 'GET /api/v1/services lists no services');

    let page = await (await browser.newContext()).newPage();
    console.log('site');
    await sitePages(page, base);
    for (const { id } of services) {
      console.log(id);
      page = await (await browser.newContext()).newPage(); // a fresh session per recipe
      await journey(page, base, id, screenshotNamer(id)).catch(async (err) => {
        await page.screenshot({ path: path.join(shots, `${id}-failed.png`), fullPage: true }).catch(() => {});
        const shown = await page.title().catch(() => '?');
        throw new Error(`${id}: ${err.message}\n  (page shown: "${shown}"; screenshot tests/browser/screenshots/${id}-failed.png)`);
      });
    }
  } catch (err) {
    for (const c of children) console.error(`--- last lines of ${c.log}\n${fs.readFileSync(c.log, 'utf8').split('\n').slice(-15).join('\n')}`);
    throw err;
  } finally {
    await browser?.close();
    await Promise.all(children.map(stop));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

let failure;
await main().catch((err) => { failure = err; });
for (const v of violations) {
  console.error(`axe: ${v.page} ${v.url}\n  ${v.rule} (${v.impact}): ${v.targets.join(', ')}\n  ${v.help}`);
}
if (toReview.size) console.log(`axe needs a person to review: ${[...toReview].sort().join(', ')}`);
if (violations.length) {
  const pages = new Set(violations.map((v) => `${v.page} ${v.url}`)).size;
  console.error(`\nbrowser test FAILED: ${violations.length} WCAG 2.2 A/AA violations on ${pages} of ${pagesChecked} pages`);
}
if (failure) console.error(`\nbrowser test FAILED: ${failure.message}`);
if (failure || violations.length) process.exit(1);
console.log(`\nbrowser test passed: ${pagesChecked} pages, no WCAG 2.2 A/AA violations; screenshots in tests/browser/screenshots/`);
