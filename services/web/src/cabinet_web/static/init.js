// GOV.UK Frontend's components, enhanced where JavaScript runs (every page works without).
import { initAll, Radios } from '/assets/govuk-frontend.min.js'

// A radio that reveals a question (the return form's "Other (give details)") is given
// aria-expanded by GOV.UK Frontend, which ARIA allows on no radio: axe reports it as a
// critical violation (a known issue of GOV.UK Frontend, alphagov/govuk-frontend#979).
// The reveal and its aria-controls stay; only that attribute is taken off again.
const syncReveal = Radios.prototype.syncConditionalRevealWithInputState
Radios.prototype.syncConditionalRevealWithInputState = function ($input) {
  syncReveal.call(this, $input)
  $input.removeAttribute('aria-expanded')
}

initAll()
