// case-diagram.mjs draws a case's process on the staff case page, as
// Camunda Operate does: the service's steps as a BPMN diagram with the
// steps the case has done, the ones it is at and the ones that failed
// marked. `make assets` bundles it with esbuild into
// forms/web/static/case-diagram.js. The page names the BPMN export's
// address in data-bpmn-url and the steps table in data-steps; each row of
// that table names its step (data-step) and the step's state
// (data-step-state: done, current, failed or not-reached), which is what
// is marked. The table says the same in words, so without JavaScript, or
// when drawing fails, nothing is lost.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { layoutProcess } from 'bpmn-auto-layout';

// markers are the states marked on the diagram, each by a class
// (larder-<state>) that case-diagram.css styles.
const markers = ['done', 'current', 'failed'];

// smallest is the least zoom the diagram is first shown at: a long recipe
// that would be smaller to fit is shown around the step the case is at.
const smallest = 0.6;

// fit shows the whole diagram, or, at the smallest readable zoom, the
// part around focus (the first failed or current step) or its start.
function fit(canvas, focus) {
  if (canvas.zoom('fit-viewport', 'auto') >= smallest) return;
  const { inner, outer } = canvas.viewbox();
  const width = outer.width / smallest;
  const height = outer.height / smallest;
  const x = focus ? focus.x + focus.width / 2 - width / 2 : inner.x - 20;
  const y = focus ? focus.y + focus.height / 2 - height / 2 : inner.y + inner.height / 2 - height / 2;
  canvas.viewbox({ x, y, width, height });
}

// states reads each step's state from the page's steps table.
function states(container) {
  const table = document.getElementById(container.dataset.steps);
  const out = new Map();
  if (!table) return out;
  for (const row of table.querySelectorAll('[data-step][data-step-state]')) {
    out.set(row.dataset.step, row.dataset.stepState);
  }
  return out;
}

async function draw(container) {
  const status = container.querySelector('[data-diagram-status]');
  const say = (text) => { if (status) status.textContent = text; };
  try {
    const reply = await fetch(container.dataset.bpmnUrl, { headers: { Accept: 'application/xml' }, credentials: 'same-origin' });
    if (!reply.ok) throw new Error(`the export answered ${reply.status}`);
    const exported = await reply.text();
    let xml = exported;
    try {
      xml = await layoutProcess(exported);
    } catch (err) {
      // The export carries a diagram of its own: show that one.
      console.warn('bpmn-auto-layout could not lay the diagram out; showing the export\'s own layout', err);
    }
    const canvasElement = container.querySelector('[data-diagram-canvas]') || container;
    const viewer = new NavigatedViewer({ container: canvasElement });
    const { warnings } = await viewer.importXML(xml);
    if (warnings.length) console.warn('bpmn-js import warnings', warnings);
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const marked = { done: [], current: [], failed: [] };
    for (const [step, state] of states(container)) {
      const element = registry.get(step);
      if (!element || !markers.includes(state)) continue;
      canvas.addMarker(element, `larder-${state}`);
      marked[state].push(element);
    }
    fit(canvas, marked.failed[0] || marked.current[0]);
    say('');
    const legend = container.parentElement.querySelector('[data-diagram-legend]');
    if (legend) legend.hidden = false;
    container.dataset.diagram = 'drawn';
  } catch (err) {
    console.error('the diagram could not be drawn', err);
    say('The diagram could not be drawn. The table of steps below says where the case stands.');
    container.dataset.diagram = 'failed';
  }
}

for (const container of document.querySelectorAll('[data-bpmn-url][data-steps]')) {
  draw(container);
}
