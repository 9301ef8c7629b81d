// Real-browser test of the resident pages: starts wastesim and Larder on free
// ports, drives every shipped recipe's journey in Debian chromium (an error,
// a change from Check your answers, save and come back later, sending, the
// track page; for a service that waits for payment, the payment provider's
// message and the track page after it), runs axe-core's WCAG 2.2 A/AA rules
// on every page visited and saves a full-page screenshot of each. Exits
// non-zero on any failure.
//
//   node run.mjs            (from tests/browser, after `make build`)
//   CHROMIUM=/path/to/chrome node run.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  audit, check, children, clickAndWait, expectErrorSummary, finish, freePort, getJSON, here,
  launchChromium, screenshotNamer, shots, start, stop, tailLogs, waitReady,
} from './lib.mjs';

const photo = path.join(here, 'fixtures', 'photo.png');
const hooksToken = 'browser-test-hooks-token';

// After sending, some services wait for a payment provider. paid says what
// it posts to /hooks/{service}/payment and what the track page then shows.
// pickFirst names questions whose choices the waste system offers for the
// day (collection dates), so no example can name one: the first is chosen.
const services = {
  'bulky-waste': {
    pickFirst: ['slot'],
    paid: { data: { status: 'paid', payment_ref: 'PAY-BROWSER-1' }, shows: 'Collection booked' },
  },
  'garden-waste': {
    paid: { data: { status: 'paid', payment_ref: 'PAY-BROWSER-2' }, shows: 'Subscription started' },
  },
};

// ---- the journey ------------------------------------------------------------

// fill answers the questions of the page shown, from their examples, and
// says whether it attached the photo.
async function fill(page, fields, pickFirst = []) {
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
        if (pickFirst.includes(f.id)) {
          const first = page.locator(`input[name="${f.id}"]`).first();
          check(await first.count() === 1, `${page.url()}: no choices offered for ${f.id}`);
          await first.check();
          break;
        }
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
    if (await fill(page, p.fields, services[id]?.pickFirst)) attached = true;
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
  if (services[id]?.paid) await pay(page, base, id, ref, services[id].paid, shot);
}

// pay posts the payment provider's message for the case, as its webhook
// would, and waits for the track page to show what follows.
async function pay(page, base, id, ref, paid, shot) {
  const res = await fetch(`${base}/hooks/${id}/payment`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${hooksToken}` },
    body: JSON.stringify({ correlation: ref, data: paid.data }),
  });
  check(res.status === 202, `POST /hooks/${id}/payment for ${ref} answered ${res.status}`);
  for (const deadline = Date.now() + 30_000; ;) {
    await page.goto(`${base}/track/${ref}`);
    if ((await page.locator('main').innerText()).includes(paid.shows)) break;
    check(Date.now() < deadline, `${ref}: the track page does not show "${paid.shows}" 30s after payment`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await audit(page, shot, 'track-paid');
  console.log(`  paid ${ref}: ${paid.shows}`);
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
      WASTE_URL: `http://127.0.0.1:${wastePort}`, LARDER_STAFF_TOKEN: 'browser-test-staff-token', LARDER_SUBMISSIONS_PER_MINUTE: '1000',
      LARDER_HOOKS_TOKEN: hooksToken,
    }, tmp));
    await waitReady(base);

    fs.rmSync(shots, { recursive: true, force: true });
    fs.mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
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
    tailLogs();
    throw err;
  } finally {
    await browser?.close();
    await Promise.all(children.map(stop));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

let failure;
await main().catch((err) => { failure = err; });
finish('browser test', failure);
