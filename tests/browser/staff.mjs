// Real-browser test of the back office: starts wastesim and Larder (--dev,
// with its demo accounts) on free ports and drives the staff journey in
// Debian chromium, with axe-core's WCAG 2.2 A/AA rules and a screenshot
// (screenshots/staff-*.png) on every page visited:
//
//   - pat (staff, street-scene) signs in (after two mistakes), finds the
//     task a fly-tipping report opened, claims it, adds a note, completes
//     it with an outcome, and the case finishes;
//   - robin (staff of another queue) gets 403 on that task's page;
//   - pat opens the claimed task's case: its process diagram draws, the
//     task's step carries the current marker and earlier steps the done
//     one, as the steps table says;
//   - sam (supervisor) assigns a second report's task to pat, and the task
//     page and both inboxes show pat holding it;
//   - pat signs out, and the inbox then asks to sign in;
//   - with JavaScript off, pat signs in, claims and completes a third
//     report's task and the case finishes, its case page's steps table
//     saying which steps were done;
//   - alex (admin) sees the incident a missed-bin report raised while the
//     waste system was down (in the list, on the case and on its own
//     page, where the diagram marks the failed step), retries it from the
//     list once the waste system is back, and
//     the case goes on to its end; alex finds the case by reference and by
//     the resident's email address.
//
// Exits non-zero on any failure.
//
//   node staff.mjs          (from tests/browser, after `make build`)
//   CHROMIUM=/path/to/chrome node staff.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  audit, check, children, clickAndWait, expectErrorSummary, finish, freePort, getJSON,
  launchChromium, screenshotNamer, shots, start, stop, tailLogs, waitReady,
} from './lib.mjs';

// The demo accounts `larder serve --dev` adds (forms/staff/access/demo.go).
const pat = { username: 'pat', password: 'pat-demo-password', name: 'Pat Jones' };
const sam = { username: 'sam', password: 'sam-demo-password', name: 'Sam Okafor' };
const alex = { username: 'alex', password: 'alex-demo-password', name: 'Alex Morgan' };
const robin = { username: 'robin', password: 'robin-demo-password', name: 'Robin Hale' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// eventually calls fn until it returns something truthy, at most seconds
// long, and returns that; what fails after is "<what> within <seconds>s".
async function eventually(what, seconds, fn) {
  for (const deadline = Date.now() + seconds * 1000; ;) {
    const got = await fn();
    if (got) return got;
    check(Date.now() < deadline, `${what} within ${seconds}s`);
    await sleep(500);
  }
}

// ---- cases, through the public API -------------------------------------------

// submit sends a service's form answered from its examples, as another
// council system would, and returns the case's reference.
async function submit(base, service) {
  const form = await getJSON(`${base}/api/v1/services/${service}`);
  const answers = {};
  for (const f of form.pages.flatMap((p) => p.fields)) {
    if (!f.example || f.type === 'file') continue;
    answers[f.id] = f.type === 'checkboxes' ? f.example.split(',').map((v) => v.trim()) : f.example;
  }
  const res = await fetch(`${base}/api/v1/services/${service}/submissions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(answers),
  });
  const body = await res.json().catch(() => ({}));
  check(res.status === 201, `POST /api/v1/services/${service}/submissions with its examples: ${res.status} ${JSON.stringify(body)}`);
  return body.reference;
}

// finished waits for a case to complete and returns its outcome.
async function finished(base, ref, seconds = 30) {
  let last;
  await eventually(`${ref} did not complete (last seen: ${last?.status} at ${last?.current_steps})`, seconds, async () => {
    last = await getJSON(`${base}/api/v1/cases/${ref}`);
    check(!['failed', 'cancelled'].includes(last.status), `${ref} ended ${last.status}, not completed`);
    return last.status === 'completed';
  });
  return last.outcome;
}

// ---- pages ------------------------------------------------------------------

const at = (page) => new URL(page.url()).pathname;

// newPage opens a page in a browser context of its own (its own cookies,
// so its own user), failing a step that waits for more than 10s.
async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10_000);
  return context.newPage();
}

// text is a locator's text with its white space collapsed.
async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

async function expectFlash(page, message) {
  const banner = page.locator('.govuk-notification-banner--success');
  check(await banner.count() === 1, `${page.url()}: no success banner; expected "${message}"`);
  const said = await text(banner);
  check(said.includes(message), `${page.url()}: the banner says "${said}", not "${message}"`);
}

// signIn signs a user in from the sign-in page and checks the inbox shows.
async function signIn(page, base, user) {
  await page.goto(`${base}/staff/sign-in`);
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await clickAndWait(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  check(at(page) === '/staff/', `${user.username} signed in and got ${page.url()}, not the inbox`);
  const shown = await text(page.locator('.govuk-service-navigation'));
  check(shown.includes(user.name), `the navigation does not name ${user.name} after signing in: "${shown}"`);
}

async function signOut(page, base, shot) {
  await clickAndWait(page, page.getByRole('button', { name: 'Sign out' }));
  check(at(page) === '/staff/sign-in', `Sign out went to ${page.url()}, not the sign-in page`);
  await expectFlash(page, 'You have signed out');
  if (shot) await audit(page, shot, 'signed-out');
  await page.goto(`${base}/staff/`);
  check(at(page) === '/staff/sign-in', `the inbox after signing out showed ${page.url()}, not the sign-in page`);
}

// inboxRow waits for the inbox to list a case's task and returns its row.
async function inboxRow(page, base, ref) {
  const row = page.locator('tbody tr', { hasText: ref });
  await eventually(`the inbox did not list the task of ${ref}`, 20, async () => {
    await page.goto(`${base}/staff/`);
    return await row.count() === 1;
  });
  return row;
}

// openTask goes from the inbox to a case's task.
async function openTask(page, base, ref) {
  const row = await inboxRow(page, base, ref);
  await clickAndWait(page, row.getByRole('link').first());
  check(at(page).startsWith(`/staff/tasks/${ref}/`), `the inbox link of ${ref} went to ${page.url()}`);
  return page.url();
}

async function taskStatus(page) {
  return text(page.locator('.govuk-summary-list__row', { hasText: 'Status' }).first());
}

// fillOutcome answers the outcome form's own fields, if the task has any
// (no shipped task has yet): the second option of a list, the first of
// choices, today for a date and words for the rest.
async function fillOutcome(form) {
  for (const select of await form.locator('select[name^="field-"]').all()) await select.selectOption({ index: 1 });
  for (const choice of await form.locator('input[name^="field-"]:is([type=radio], [type=checkbox])').all()) {
    if (!await form.locator(`[name="${await choice.getAttribute('name')}"]:checked`).count()) await choice.check();
  }
  const now = new Date();
  const today = { day: now.getDate(), month: now.getMonth() + 1, year: now.getFullYear() };
  for (const box of await form.locator('textarea[name^="field-"], input[name^="field-"]:not([type=radio], [type=checkbox], [type=hidden])').all()) {
    const part = (await box.getAttribute('name')).match(/-(day|month|year)$/)?.[1];
    await box.fill(part ? String(today[part]) : 'Done by the browser test');
  }
}

// completeTask gives the task page's outcome and completes the task, which
// goes back to the inbox; the task page then says who completed it. With
// shot, it first sends no outcome and checks the error.
async function completeTask(page, outcome, shot) {
  const form = page.locator('form[action$="/complete"]');
  check(await form.count() === 1, `${page.url()}: no outcome form`);
  if (shot) {
    await clickAndWait(page, page.getByRole('button', { name: 'Complete task' }));
    await expectErrorSummary(page);
    await audit(page, shot, 'task-error');
  }
  await page.getByRole('radio', { name: outcome }).check();
  await fillOutcome(form);
  const link = new URL((await form.getAttribute('action')).replace(/\/complete$/, ''), page.url()).href;
  await clickAndWait(page, page.getByRole('button', { name: 'Complete task' }));
  check(at(page) === '/staff/', `completing the task went to ${page.url()}, not back to the inbox`);
  await expectFlash(page, 'Task completed');
  const ref = link.match(/\/staff\/tasks\/([^/]+)\//)[1];
  await eventually(`the inbox still lists ${ref}'s task after it was completed`, 15, async () => {
    if (await page.locator('tbody tr', { hasText: ref }).count() === 0) return true;
    await page.reload();
    return false;
  });
  await page.goto(link);
  const status = await taskStatus(page);
  check(status.includes(`Completed by ${pat.name}`), `after completing, the task's status is "${status}"`);
}

// caseFinished opens a case page and waits for it to say Completed.
async function caseFinished(page, base, ref) {
  await eventually(`the case page of ${ref} did not show it Completed`, 30, async () => {
    await page.goto(`${base}/staff/cases/${ref}`);
    return (await text(page.locator('.govuk-summary-list__row', { hasText: 'Status' }).first())).includes('Completed');
  });
}

// processDiagram waits for the case page's process diagram to be drawn
// and checks each step the steps table says is done, in progress or
// failed carries that marker on its diagram element (the step id is the
// element id), and that want is among them; it returns the table's states.
async function processDiagram(page, want) {
  const diagram = page.getByRole('region', { name: 'Process diagram' });
  check(await diagram.count() === 1, `${page.url()}: no region named "Process diagram"`);
  await page.locator('[data-diagram="drawn"], [data-diagram="failed"]').waitFor({ timeout: 20_000 });
  check(await diagram.getAttribute('data-diagram') === 'drawn', `${page.url()}: the process diagram could not be drawn`);
  check(await page.locator('[data-diagram-legend]').isVisible(), `${page.url()}: the diagram's key is not shown`);
  const states = await page.locator('#process-steps tr[data-step]').evaluateAll((rows) =>
    rows.map((r) => [r.dataset.step, r.dataset.stepState]));
  check(states.some(([, state]) => state === want), `${page.url()}: no step of the table is ${want}: ${JSON.stringify(states)}`);
  for (const [step, state] of states) {
    if (state === 'not-reached') continue;
    const marked = diagram.locator(`g.djs-element.larder-${state}[data-element-id="${step}"]`);
    check(await marked.count() === 1, `${page.url()}: the table says step ${step} is ${state}, but its diagram element has no larder-${state} marker`);
  }
  return states;
}

// ---- the journeys -------------------------------------------------------------

// patWorksATask: sign-in (with mistakes), the inbox, claim and complete;
// robin, of another queue, gets 403 on the task while pat holds it.
async function patWorksATask(browser, base, ref) {
  const shot = screenshotNamer('staff-pat');
  const page = await newPage(browser);
  await page.goto(`${base}/staff/`);
  check(at(page) === '/staff/sign-in', `the inbox without signing in showed ${page.url()}, not the sign-in page`);
  await audit(page, shot, 'sign-in');
  await clickAndWait(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await expectErrorSummary(page);
  await audit(page, shot, 'sign-in-error');
  await page.fill('#username', pat.username);
  await page.fill('#password', 'not-the-password');
  await clickAndWait(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  const said = await text(page.locator('.govuk-error-summary'));
  check(said.includes('Enter a correct username and password'), `a wrong password said "${said}"`);
  await signIn(page, base, pat);
  check(await page.locator('body.govuk-frontend-supported').count() === 1, 'GOV.UK Frontend did not start with JavaScript on');

  await inboxRow(page, base, ref);
  await audit(page, shot, 'inbox');
  const link = await openTask(page, base, ref);
  await audit(page, shot, 'task');
  await clickAndWait(page, page.getByRole('button', { name: 'Claim this task' }));
  await expectFlash(page, 'You have claimed this task');
  const status = await taskStatus(page);
  check(status.includes('Claimed by you'), `after claiming, the task's status is "${status}"`);
  await audit(page, shot, 'task-claimed');

  await robinIsRefused(browser, base, ref, link);

  await page.goto(`${base}/staff/cases/${ref}`);
  const states = await processDiagram(page, 'current');
  check(states.some(([, state]) => state === 'done'), `the case of ${ref} at its task shows no step done: ${JSON.stringify(states)}`);
  await audit(page, shot, 'case-process');
  await page.goto(link);

  await page.fill('#note', 'Going this afternoon with the van.');
  await clickAndWait(page, page.getByRole('button', { name: 'Add note' }));
  await expectFlash(page, 'Your note has been added');
  const notes = await text(page.locator('.larder-notes'));
  check(notes.includes(pat.name) && notes.includes('Going this afternoon with the van.'), `the task's notes say "${notes}"`);

  await completeTask(page, 'Cleared', shot);
  await audit(page, shot, 'task-completed');
  check(await finished(base, ref) === 'Fly-tipping cleared', `${ref} did not end "Fly-tipping cleared"`);
  await caseFinished(page, base, ref);
  await audit(page, shot, 'case');
  return page;
}

async function robinIsRefused(browser, base, ref, link) {
  const shot = screenshotNamer('staff-robin');
  const page = await newPage(browser);
  await signIn(page, base, robin);
  check(await page.locator('tbody tr', { hasText: ref }).count() === 0, `robin's inbox lists ${ref}, a street-scene task`);
  const res = await page.goto(link);
  check(res.status() === 403, `robin (waste-team) opened ${link}: ${res.status()}, not 403`);
  const heading = await text(page.locator('h1'));
  check(heading === 'You cannot work on this task', `robin's 403 page says "${heading}"`);
  check(await page.getByRole('link', { name: 'Go to your inbox' }).getAttribute('href') === '/staff/', `robin's 403 page has no way back to the inbox`);
  await audit(page, shot, 'forbidden');
  await page.context().close();
}

// samAssignsToPat: a supervisor gives a task to a colleague; pat's inbox
// (patPage, signed in) then lists it as theirs.
async function samAssignsToPat(browser, base, ref, patPage) {
  const shot = screenshotNamer('staff-sam');
  const page = await newPage(browser);
  await signIn(page, base, sam);
  const before = await text(await inboxRow(page, base, ref));
  check(before.includes('Unassigned'), `sam's inbox shows ${ref} held: "${before}"`);
  await openTask(page, base, ref);
  await page.selectOption('#to', { label: pat.name });
  await clickAndWait(page, page.getByRole('button', { name: 'Assign', exact: true }));
  await expectFlash(page, 'The task has been assigned');
  const status = await taskStatus(page);
  check(status.includes(`Claimed by ${pat.name}`), `after assigning to pat, the task's status is "${status}"`);
  await audit(page, shot, 'task-assigned');
  await eventually(`sam's inbox did not show ${pat.name} holding ${ref}`, 15, async () =>
    (await text(await inboxRow(page, base, ref))).includes(pat.name));
  await audit(page, shot, 'inbox');
  await page.context().close();
  await eventually(`pat's inbox did not show ${ref} as theirs`, 15, async () =>
    (await text(await inboxRow(patPage, base, ref))).includes('You'));
}

// patWithoutJavaScript: the whole of pat's journey with JavaScript off.
async function patWithoutJavaScript(browser, base, ref) {
  const shot = screenshotNamer('staff-nojs');
  const page = await newPage(browser, { javaScriptEnabled: false });
  await signIn(page, base, pat);
  check(await page.locator('body.govuk-frontend-supported').count() === 0, 'JavaScript ran in the context with JavaScript off');
  await openTask(page, base, ref);
  await clickAndWait(page, page.getByRole('button', { name: 'Claim this task' }));
  await expectFlash(page, 'You have claimed this task');
  await completeTask(page, 'Could not find it');
  await page.screenshot({ path: shot('task-completed'), fullPage: true });
  check(await finished(base, ref) === 'We could not find the fly-tipping', `${ref} did not end "We could not find the fly-tipping"`);
  await caseFinished(page, base, ref);
  await page.screenshot({ path: shot('case'), fullPage: true });
  const rows = await text(page.locator('#process-steps'));
  check(/Done/.test(rows) && !/In progress|Failed/.test(rows), `without JavaScript, the finished case's steps table says "${rows}"`);
  await signOut(page, base);
  await page.context().close();
}

// alexRetriesAnIncident: the incident of a case that met the waste system
// down, retried once wasteBack has brought it back; then search.
async function alexRetriesAnIncident(browser, base, ref, wasteBack) {
  const shot = screenshotNamer('staff-alex');
  const page = await newPage(browser);
  await signIn(page, base, alex);
  const row = page.locator('tbody tr', { hasText: ref });
  // The shipped waste calls try 10 times, backing off to a minute between
  // tries: some four minutes before the case waits for staff.
  await eventually(`/staff/incidents did not list ${ref}'s incident`, 300, async () => {
    await page.goto(`${base}/staff/incidents`);
    return await row.count() === 1;
  });
  const listed = await text(row);
  check(listed.includes('Report a missed bin collection') && /503|unavailable/i.test(listed),
    `the incident of ${ref} does not name the service and the waste system's error: "${listed}"`);
  await audit(page, shot, 'incidents');
  await clickAndWait(page, row.getByRole('link', { name: ref, exact: true }));
  check(await page.locator('#incidents').count() === 1, `the case page of ${ref} shows no incident`);
  await processDiagram(page, 'failed');
  await audit(page, shot, 'case-incident');
  await clickAndWait(page, page.getByRole('link', { name: /^Skip or cancel/ }));
  const heading = await text(page.locator('h1'));
  check(heading.startsWith('Incident at'), `the incident page of ${ref} says "${heading}"`);
  await audit(page, shot, 'incident');

  await wasteBack();
  await page.goto(`${base}/staff/incidents`);
  await clickAndWait(page, row.getByRole('button', { name: /^Retry/ }));
  check(at(page) === '/staff/incidents', `Retry went to ${page.url()}, not back to the incidents`);
  await expectFlash(page, 'The step is being tried again.');
  check(await finished(base, ref) === 'Missed collection reported', `${ref} did not end "Missed collection reported"`);
  await eventually(`/staff/incidents still lists ${ref}'s incident after it was retried`, 15, async () => {
    await page.goto(`${base}/staff/incidents`);
    return await row.count() === 0;
  });
  await audit(page, shot, 'incidents-none');

  // Search: by reference straight to the case, by email to a list.
  await page.getByRole('link', { name: 'Search' }).click();
  await page.waitForURL(`${base}/staff/search`);
  await audit(page, shot, 'search');
  await page.fill('#q', ref.toLowerCase());
  await clickAndWait(page, page.getByRole('button', { name: 'Search', exact: true }));
  check(at(page) === `/staff/cases/${ref}`, `searching for ${ref} went to ${page.url()}, not its case`);
  const status = await text(page.locator('.govuk-summary-list__row', { hasText: 'Status' }).first());
  check(status.includes('Completed'), `the case page of ${ref} says "${status}" after the retry`);
  await audit(page, shot, 'case');
  await eventually(`searching for sam@example.com did not find ${ref}`, 15, async () => {
    await page.goto(`${base}/staff/search?q=${encodeURIComponent('sam@example.com')}`);
    return await page.locator('tbody tr', { hasText: ref }).count() === 1;
  });
  await audit(page, shot, 'search-results');
  await page.context().close();
}

// ---- main -------------------------------------------------------------------

// step runs one journey, its name before its pages and in its failure.
async function step(name, fn) {
  console.log(name);
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${name}: ${err.message}`);
  }
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'larder-staff-'));
  const [wastePort, larderPort] = [await freePort(), await freePort()];
  const wasteAddr = `127.0.0.1:${wastePort}`;
  const base = `http://127.0.0.1:${larderPort}`;
  let wastesim;
  // waste (re)starts wastesim on its port, failing every API call or not.
  const waste = async (...args) => {
    if (wastesim) {
      await stop(wastesim);
      children.splice(children.indexOf(wastesim), 1);
    }
    wastesim = start('wastesim', ['-addr', wasteAddr, ...args], {}, tmp);
    children.push(wastesim);
    await waitReady(base, 10, `http://${wasteAddr}/healthz`);
  };
  let browser;
  try {
    await waste();
    children.push(start('larder', ['serve', '--dev', '--data-dir', path.join(tmp, 'data'), '--http-address', `127.0.0.1:${larderPort}`, '--recipes-dir', 'recipes'], {
      WASTE_URL: `http://${wasteAddr}`, LARDER_SUBMISSIONS_PER_MINUTE: '1000',
    }, tmp));
    await waitReady(base);

    fs.mkdirSync(shots, { recursive: true });
    for (const f of fs.readdirSync(shots).filter((f) => f.startsWith('staff-'))) fs.rmSync(path.join(shots, f));
    const [worked, assigned, noScript] = [await submit(base, 'fly-tipping'), await submit(base, 'fly-tipping'), await submit(base, 'fly-tipping')];
    // The waste system's property records go down (its postcode search,
    // which checks the address answer, stays up), then a missed bin is
    // reported: its first step retries for some four minutes, then waits
    // for staff as an incident while the other journeys run.
    await waste('-fail-rate', '1', '-fail-path', '/api/properties/');
    const stuck = await submit(base, 'missed-bin');
    console.log(`  fly-tipping ${worked}, ${assigned}, ${noScript}; missed-bin ${stuck} (waste system down)`);

    browser = await launchChromium();
    const patPage = await step('pat claims and completes a task; robin is refused it', () => patWorksATask(browser, base, worked));
    await step('sam assigns a task to pat', () => samAssignsToPat(browser, base, assigned, patPage));
    await step('pat signs out', () => signOut(patPage, base, screenshotNamer('staff-pat-out')));
    await patPage.context().close();
    await step('pat works a task with JavaScript off', () => patWithoutJavaScript(browser, base, noScript));
    await step('alex retries an incident and searches', () => alexRetriesAnIncident(browser, base, stuck, () => waste()));
  } catch (err) {
    if (browser) {
      const pages = browser.contexts().flatMap((c) => c.pages());
      for (const [i, p] of pages.entries()) {
        const file = `staff-failed-${i + 1}.png`;
        await p.screenshot({ path: path.join(shots, file), fullPage: true }).catch(() => {});
        err.message += `\n  (page ${i + 1} shown: "${await p.title().catch(() => '?')}" at ${p.url()}; screenshot tests/browser/screenshots/${file})`;
      }
    }
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
finish('staff browser test', failure);
