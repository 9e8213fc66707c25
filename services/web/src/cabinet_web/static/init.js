// GOV.UK Frontend's components, enhanced where JavaScript runs (every page works without).
import { initAll } from '/assets/govuk-frontend.min.js'

initAll()
