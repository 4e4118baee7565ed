"""The dashboard: server-rendered pages in ES/PT/EN/FR over the scoped data-access layer.

Takes requests from browsers with a login session; gives HTML pages (Jinja2 templates under
`templates/`), charts drawn in the browser by the vendored Vega-Lite (`static/vendor/`), and
translations from the Babel catalogues under `locales/`. Pages read data only through
`amrwatch.api.access`, so they show exactly what the caller's role and country allow.
"""
