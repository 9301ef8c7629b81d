// Real-browser test of the designer's pages of `larder serve --dev`:
// starts wastesim and Larder (--dev) on free ports and, in Debian
// chromium, opens /dev/recipes and each shipped recipe's page at
// /dev/recipes/{id}, waits for bpmn-js to draw the diagram and finds one
// diagram element per step of the page's steps table (the step id is the
// element's id), with no error in the console (a script the content
// security policy blocked, say). With each form page's preview open, it
// runs axe-core's WCAG 2.2 A/AA rules and takes a screenshot
// (screenshots/designer-*.png) of every page drawn. With JavaScript off, a
// recipe's page still has its steps table (a screenshot; axe needs
// JavaScript). Larder serves a copy of recipes/: the test changes a
// recipe's title and a step in the copy and sees the open page, once
// reloaded, and the next new case follow it while a case submitted before
// keeps its version; a save with a mistake is listed on the page (axe
// checks it) until it is fixed. Exits non-zero on any failure.
//
//   node designer.mjs       (from tests/browser, after `make build`)
//   CHROMIUM=/path/to/chrome node designer.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  audit, check, children, finish, freePort, getJSON, launchChromium, root, screenshotNamer, shots, start, stop, tailLogs, waitReady,
} from './lib.mjs';

// shippedRecipes are the ids of the recipes under recipes/, read from
// each file's top-level id line.
function shippedRecipes() {
  const dir = path.join(root, 'recipes');
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !['connectors.yaml', 'emails.yaml'].includes(f))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').match(/^id:\s*["']?([\w-]+)/m)?.[1])
    .filter(Boolean)
    .sort();
}

// watchConsole collects the page's console errors and uncaught exceptions.
function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

// recipePage opens a recipe's designer page, waits for its diagram and
// checks one element per step.
async function recipePage(browser, base, id, shot) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  const res = await page.goto(`${base}/dev/recipes/${id}`);
  check(res.status() === 200, `GET /dev/recipes/${id}: ${res.status()}`);
  const steps = await page.locator('tr[id^="step-"]').evaluateAll((rows) => rows.map((r) => r.id.slice('step-'.length)));
  check(steps.length > 0, `${id}: the steps table lists no step`);
  const diagram = page.locator('[data-bpmn-url]');
  await diagram.and(page.locator('[data-diagram]')).waitFor({ timeout: 20_000 });
  const state = await diagram.getAttribute('data-diagram');
  check(state === 'drawn', `${id}: the diagram was not drawn (${state}); console: ${errors.join(' | ')}`);
  const missing = [];
  for (const step of steps) {
    const n = await page.locator(`g.djs-element[data-element-id="${step}"]`).count();
    if (n !== 1) missing.push(`${step} (${n})`);
  }
  check(missing.length === 0, `${id}: want one diagram element per step; not so for ${missing.join(', ')}`);
  check(errors.length === 0, `${id}: console errors: ${errors.join(' | ')}`);
  console.log(`  ${id}: ${steps.length} steps, each drawn once`);
  // Every page's preview open, so axe checks those too.
  for (const summary of await page.locator('details.govuk-details > summary').all()) await summary.click();
  const open = await page.locator('details.govuk-details[open] fieldset[disabled]').count();
  check(open > 0, `${id}: no page preview opened`);
  await audit(page, shot, id);
  await context.close();
}

// withoutJavaScript opens a recipe's page with scripts off: the steps are
// still there as a table, and the page says where the diagram went.
async function withoutJavaScript(browser, base, id, shot) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/dev/recipes/${id}`);
  const rows = await page.locator('tr[id^="step-"]').count();
  check(rows > 0, `${id} without JavaScript: no steps table`);
  const status = await page.locator('[data-diagram-status]').innerText();
  check(/table of steps/.test(status), `${id} without JavaScript: the diagram's place says "${status}", not where the steps are`);
  check(await page.locator('[data-diagram]').count() === 0, `${id}: JavaScript ran in the context with JavaScript off`);
  await page.screenshot({ path: shot(`${id}-no-js`), fullPage: true });
  console.log(`  ${id}: ${rows} steps in the table, and the diagram's place says where they are`);
  await context.close();
}

// submitExample submits a recipe's example answers through the API and
// returns the case's reference.
async function submitExample(base, id) {
  const service = await getJSON(`${base}/api/v1/services/${id}`);
  const answers = Object.fromEntries(service.pages.flatMap((p) => p.fields).map((f) => [f.id, f.example ?? '']));
  const res = await fetch(`${base}/api/v1/services/${id}/submissions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(answers),
  });
  const reply = await res.json();
  check(res.status === 201, `${id}: submitting the example answers: ${res.status} ${JSON.stringify(reply)}`);
  return reply.reference;
}

// followsChanges changes a recipe's title and a step's title in the
// folder Larder serves: the open designer page, reloaded, shows both, the
// next new case records the new version, and a case submitted before
// keeps the version it started with. Then it saves a misspelt next: the
// page lists the mistake at its line until the file is fixed.
async function followsChanges(browser, base, recipesDir, id, shot) {
  const file = fs.readdirSync(recipesDir).map((f) => path.join(recipesDir, f))
    .find((f) => f.endsWith('.yaml') && new RegExp(`^id:\\s*["']?${id}["']?\\s*$`, 'm').test(fs.readFileSync(f, 'utf8')));
  check(file, `no recipe file has id ${id}`);
  const text = fs.readFileSync(file, 'utf8');
  const step = text.match(/^ {2}- id: ([\w-]+)\n {4}title: (.+)$/m);
  check(step, `${id}: no step with a title to change`);
  const [title, stepTitle] = [`${text.match(/^title: (.+)$/m)[1]} (changed)`, `${step[2]} (changed)`];

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/dev/recipes/${id}`);
  const before = await submitExample(base, id);
  const version = (await getJSON(`${base}/api/v1/cases/${before}`)).recipe_version;

  fs.writeFileSync(file, text.replace(/^title: .+$/m, `title: ${title}`).replace(step[0], `  - id: ${step[1]}\n    title: ${stepTitle}`));
  let shown = false;
  for (const deadline = Date.now() + 20_000; !shown && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
    shown = (await page.locator('h1').innerText()).includes(title);
  }
  check(shown, `${id}: the designer page did not show the changed title within 20s`);
  check(await page.locator(`tr#step-${step[1]}`).innerText().then((t) => t.includes(stepTitle)), `${id}: the steps table does not show the changed step's title`);
  await page.locator('[data-bpmn-url]').and(page.locator('[data-diagram="drawn"]')).waitFor({ timeout: 20_000 });
  check(await page.locator(`g.djs-element[data-element-id="${step[1]}"]`).count() === 1, `${id}: the changed step is not drawn once`);
  await page.screenshot({ path: shot(`${id}-changed`), fullPage: true });

  const after = await submitExample(base, id);
  const [old, next] = await Promise.all([before, after].map((ref) => getJSON(`${base}/api/v1/cases/${ref}`)));
  check(next.recipe_version !== version, `${id}: a case submitted after the change is on the old version ${version}`);
  check(old.recipe_version === version, `${id}: a case submitted before the change moved from ${version} to ${old.recipe_version}`);
  console.log(`  ${id}: the page shows the new title and step; a new case takes ${next.recipe_version}, one submitted before keeps ${version}`);

  // A save with a mistake: the page lists it at its place above the
  // version that last loaded, until a save loads.
  const changed = fs.readFileSync(file, 'utf8');
  const route = changed.match(/^ {4}next: ([\w-]+)$/m);
  check(route, `${id}: no step's next to misspell`);
  fs.writeFileSync(file, changed.replace(route[0], `    next: ${route[1]}x`));
  const banner = page.locator('[data-load-problems]');
  for (const deadline = Date.now() + 20_000; await banner.count() === 0 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  check(await banner.count() === 1, `${id}: the page did not list the save's mistake within 20s`);
  const line = changed.slice(0, changed.indexOf(route[0])).split('\n').length;
  const listed = await banner.innerText();
  check(listed.includes(`${path.basename(file)}:${line}:`) && listed.includes(`${route[1]}x`), `${id}: the mistake is not listed at line ${line}: ${listed}`);
  check((await page.locator('h1').innerText()).includes(title), `${id}: with a mistake saved, the page is not the version that last loaded`);
  await audit(page, shot, `${id}-mistake`);
  fs.writeFileSync(file, changed);
  for (const deadline = Date.now() + 20_000; await banner.count() > 0 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  check(await banner.count() === 0, `${id}: the mistake was still listed 20s after it was fixed`);
  console.log(`  ${id}: a misspelt next is listed at line ${line} until it is fixed`);
  await context.close();
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'larder-designer-'));
  const [wastePort, larderPort] = [await freePort(), await freePort()];
  const wasteAddr = `127.0.0.1:${wastePort}`;
  const base = `http://127.0.0.1:${larderPort}`;
  let browser;
  try {
    children.push(start('wastesim', ['-addr', wasteAddr], {}, tmp));
    await waitReady(base, 10, `http://${wasteAddr}/healthz`);
    // A copy of recipes/, for the test to change as a designer would.
    const recipesDir = path.join(tmp, 'recipes');
    fs.cpSync(path.join(root, 'recipes'), recipesDir, { recursive: true });
    children.push(start('larder', ['serve', '--dev', '--data-dir', path.join(tmp, 'data'), '--http-address', `127.0.0.1:${larderPort}`, '--recipes-dir', recipesDir], {
      WASTE_URL: `http://${wasteAddr}`,
    }, tmp));
    await waitReady(base);

    fs.mkdirSync(shots, { recursive: true });
    for (const f of fs.readdirSync(shots).filter((f) => f.startsWith('designer-'))) fs.rmSync(path.join(shots, f));
    const shot = screenshotNamer('designer');
    browser = await launchChromium();

    const ids = shippedRecipes();
    check(ids.length > 0, 'no recipes under recipes/');
    console.log('the list of recipes');
    const context = await browser.newContext();
    const list = await context.newPage();
    await list.goto(`${base}/dev/recipes`);
    for (const id of ids) {
      check(await list.locator(`a[href="/dev/recipes/${id}"]`).count() === 1, `/dev/recipes does not link ${id}`);
    }
    await audit(list, shot, 'list');
    await context.close();

    console.log('each recipe drawn');
    for (const id of ids) await recipePage(browser, base, id, shot);
    console.log('without JavaScript');
    await withoutJavaScript(browser, base, ids[0], shot);
    console.log('a recipe changed on disk');
    await followsChanges(browser, base, recipesDir, 'missed-bin', shot);
  } catch (err) {
    tailLogs();
    throw err;
  } finally {
    await browser?.close();
    await Promise.all(children.map(stop));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

const began = Date.now();
let failure;
await main().catch((err) => { failure = err; });
console.log(`(${Math.round((Date.now() - began) / 1000)}s)`);
finish('designer browser test', failure);
