// amrwatch dashboard: draws the charts from JSON the server embedded in the page, and submits
// filter forms when a choice changes (the Show button does the same for keyboard users).
"use strict";

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function mapSpec(data, width) {
  const tooltip = [
    { field: "name", title: data.labels.country },
    { field: "pct_label", title: data.labels.pct },
    { field: "ci_label", title: data.labels.ci },
    { field: "n_label", title: data.labels.n },
  ];
  const countries = {
    url: data.atlas,
    format: { type: "topojson", feature: "countries" },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    // The region is taller than wide: keep the map's shape on a phone instead of a fixed height.
    height: Math.round(Math.min(520, Math.max(280, 1.25 * width))),
    projection: { type: "mercator" },
    layer: [
      {
        data: countries,
        transform: [{ filter: { field: "id", oneOf: data.members } }],
        mark: { type: "geoshape", fill: "#d9d9d9", stroke: "#ffffff", strokeWidth: 0.5 },
      },
      {
        data: countries,
        transform: [
          { filter: { field: "id", oneOf: data.members } },
          {
            lookup: "id",
            from: {
              data: { values: data.rows },
              key: "atlas_id",
              fields: ["name", "pct_r", "pct_label", "ci_label", "n_label", "insufficient"],
            },
          },
          { filter: "isValid(datum.pct_r)" },
        ],
        mark: { type: "geoshape", stroke: "#ffffff", strokeWidth: 0.5 },
        encoding: {
          color: {
            field: "pct_r",
            type: "quantitative",
            title: data.legend,
            scale: { scheme: "orangered", domain: [0, 100] },
          },
          // Fewer isolates than the minimum-n rule: drawn faded, as the table notes.
          opacity: { condition: { test: "datum.insufficient", value: 0.45 }, value: 1 },
          tooltip: tooltip,
        },
      },
    ],
  };
}

function trendSpec(data) {
  const x = { field: "year", type: "ordinal", title: data.labels.year };
  const tooltip = [
    { field: "year", title: data.labels.year },
    { field: "pct_label", title: "%R" },
    { field: "ci_label", title: data.labels.ci },
    { field: "n_label", title: data.labels.n },
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 260,
    data: { values: data.rows },
    layer: [
      {
        mark: { type: "area", opacity: 0.25, color: "#b35806" },
        encoding: {
          x: x,
          y: { field: "ci_low", type: "quantitative", title: "%R", scale: { domain: [0, 100] } },
          y2: { field: "ci_high" },
        },
      },
      {
        mark: { type: "line", point: true, color: "#b35806" },
        encoding: { x: x, y: { field: "pct_r", type: "quantitative" }, tooltip: tooltip },
      },
    ],
  };
}

function draw(id, spec) {
  const target = document.getElementById(id);
  if (!target || typeof vegaEmbed === "undefined") return;
  vegaEmbed(target, spec, { actions: false, renderer: "svg" })
    .then(() => {
      // The container carries role="img" and a label, and a table gives the same figures:
      // the drawing itself is hidden from screen readers rather than read as unnamed images.
      const svg = target.querySelector("svg");
      if (svg) svg.setAttribute("aria-hidden", "true");
      target.setAttribute("data-rendered", "true");
    })
    .catch((error) => {
      target.textContent = String(error);
    });
}

// MDR/XDR/PDR shares take the server a few seconds the first time: fetched after the page shows.
function fillMdro(table) {
  const lang = document.documentElement.lang;
  const names = JSON.parse(table.dataset.names || "{}");
  const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  const count = new Intl.NumberFormat(lang);
  const share = (k, n) => `${percent.format(k / n)} (${count.format(k)})`;
  fetch(table.dataset.url, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const body = table.querySelector("tbody");
      body.replaceChildren();
      for (const row of data.organisms || []) {
        const cells = row.suppressed
          ? [table.dataset.suppressed, "", "", ""]
          : row.n === 0
            ? [`0 / ${count.format(row.isolates)}`, "–", "–", "–"]
            : [`${count.format(row.n)} / ${count.format(row.isolates)}`,
               share(row.n_mdr, row.n), share(row.n_xdr, row.n), share(row.n_pdr, row.n)];
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = names[row.mo] || row.mo;
        tr.append(th);
        for (const text of cells) {
          const td = document.createElement("td");
          td.className = "num";
          td.textContent = text;
          tr.append(td);
        }
        body.append(tr);
      }
      table.setAttribute("data-rendered", "true");
    });
}

document.addEventListener("DOMContentLoaded", () => {
  const mdro = document.getElementById("mdro");
  if (mdro) fillMdro(mdro);
  const map = readJson("map-data");
  const mapTarget = document.getElementById("map");
  if (map && mapTarget) draw("map", mapSpec(map, mapTarget.clientWidth));
  const trend = readJson("trend-data");
  if (trend) draw("trend", trendSpec(trend));
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.submit());
    }
  }
});
