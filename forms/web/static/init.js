// init.js starts GOV.UK Frontend's components on resident pages. As a
// module it runs only in browsers that GOV.UK Frontend supports; pages work
// without it. If govuk-frontend.min.js was not built, the import fails and
// the page stays as it is.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
