// designer.mjs draws a recipe's steps as a BPMN diagram on the designer
// page of `larder serve --dev`. `make assets` bundles it with esbuild into
// forms/web/static/designer.js. The page names the BPMN export's address in
// data-bpmn-url; the diagram is laid out afresh by bpmn-auto-layout and
// shown with bpmn-js's viewer, which can be moved and zoomed but not edited.
// Without JavaScript, or when drawing fails, the page's table of steps says
// the same.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { layoutProcess } from 'bpmn-auto-layout';

// smallest is the least zoom the diagram is first shown at: a long recipe
// that would be smaller to fit is shown from its start, to be dragged.
const smallest = 0.6;

// fit shows the whole diagram, or its start at the smallest readable zoom.
function fit(canvas) {
  if (canvas.zoom('fit-viewport', 'auto') >= smallest) return;
  const { inner, outer } = canvas.viewbox();
  const width = outer.width / smallest;
  const height = outer.height / smallest;
  canvas.viewbox({ x: inner.x - 20, y: inner.y + inner.height / 2 - height / 2, width, height });
}

async function draw(container) {
  const status = container.querySelector('[data-diagram-status]');
  const say = (text) => { if (status) status.textContent = text; };
  try {
    const reply = await fetch(container.dataset.bpmnUrl, { headers: { Accept: 'application/xml' } });
    if (!reply.ok) throw new Error(`the export answered ${reply.status}`);
    const exported = await reply.text();
    let xml = exported;
    try {
      xml = await layoutProcess(exported);
    } catch (err) {
      // The export carries a diagram of its own: show that one.
      console.warn('bpmn-auto-layout could not lay the diagram out; showing the export\'s own layout', err);
    }
    const canvas = container.querySelector('[data-diagram-canvas]') || container;
    const viewer = new NavigatedViewer({ container: canvas });
    const { warnings } = await viewer.importXML(xml);
    if (warnings.length) console.warn('bpmn-js import warnings', warnings);
    fit(viewer.get('canvas'));
    say('');
    container.dataset.diagram = 'drawn';
  } catch (err) {
    console.error('the diagram could not be drawn', err);
    say('The diagram could not be drawn. The table of steps lists the same steps.');
    container.dataset.diagram = 'failed';
  }
}

for (const container of document.querySelectorAll('[data-bpmn-url]')) {
  draw(container);
}
