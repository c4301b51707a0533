#include "cli/demo_page.h"

namespace kappa::cli {

// Untrusted text (passenger names come from events) is only ever set with
// textContent, never parsed as HTML.
const char kDemoPage[] = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kappa demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
 h1{font-size:1.3em;margin:0 0 .6em} h2{font-size:1.05em;margin:1.2em 0 .4em}
 .cards{display:flex;flex-wrap:wrap;gap:.6em}
 .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em .8em;min-width:8.5em}
 .card b{display:block;font-size:1.4em} .card span.l{color:#666;font-size:.85em}
 .charts{display:flex;flex-wrap:wrap;gap:1em}
 figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.4em}
 figcaption{font-size:.85em;color:#555} svg{width:320px;height:120px}
 table{border-collapse:collapse;background:#fff} td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
 td.t,th.t{text-align:left} #error{color:#b00}
</style></head><body>
<h1>kappa demo <small id="uptime"></small></h1>
<div id="error"></div>
<div class="cards">
 <div class="card"><span class="l">events in</span><b id="produced">-</b></div>
 <div class="card"><span class="l">scored</span><b id="scored">-</b></div>
 <div class="card"><span class="l">events/s</span><b id="events_per_second">-</b></div>
 <div class="card"><span class="l">alerts out</span><b id="alerts">-</b></div>
 <div class="card"><span class="l">survival rate %</span><b id="survival_rate">-</b></div>
 <div class="card"><span class="l">latency p50 / p99 ms</span><b><span id="latency_p50_ms">-</span> / <span id="latency_p99_ms">-</span></b></div>
 <div class="card"><span class="l">DLQ</span><b id="dead_lettered">-</b></div>
 <div class="card"><span class="l">model</span><b id="model_version">-</b></div>
</div>
<h2>Last 5 minutes</h2>
<div class="charts">
 <figure><figcaption>events scored per second</figcaption><svg id="chart_rate" viewBox="0 0 320 120"></svg></figure>
 <figure><figcaption>event to scored latency, ms (p50, p99)</figcaption><svg id="chart_latency" viewBox="0 0 320 120"></svg></figure>
 <figure><figcaption>survival rate, %</figcaption><svg id="chart_survival" viewBox="0 0 320 120"></svg></figure>
</div>
<h2>Model versions</h2>
<table><thead><tr><th>version</th><th class="t">feature set</th><th>accuracy</th><th>ROC AUC</th><th>log loss</th><th>labeled events</th><th>trained at (s)</th></tr></thead><tbody id="models"></tbody></table>
<h2>Latest alerts</h2>
<table><thead><tr><th>PassengerId</th><th class="t">Name</th><th>class</th><th class="t">sex</th><th>P(survived)</th><th>model</th><th>latency ms</th></tr></thead><tbody id="alerts_table"></tbody></table>
<h2>Log</h2><div id="log"></div>
<p><a href="/metrics">/metrics</a> · <a href="/status.json">/status.json</a></p>
<script>
"use strict";
const $ = id => document.getElementById(id);
function text(id, v) { $(id).textContent = v; }
function fmt(v, d) { return Number(v).toFixed(d); }
function row(cells) {
  const tr = document.createElement("tr");
  for (const [v, cls] of cells) { const td = document.createElement("td"); if (cls) td.className = cls; td.textContent = v; tr.appendChild(td); }
  return tr;
}
function draw(svg, series, keys, colors) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (series.length < 2) return;
  const t0 = series[0].t, t1 = series[series.length - 1].t || 1;
  let max = 0;
  for (const p of series) for (const k of keys) max = Math.max(max, p[k]);
  max = max > 0 ? max * 1.1 : 1;
  keys.forEach((k, i) => {
    const pts = series.map(p => ((p.t - t0) / Math.max(t1 - t0, 1) * 310 + 5).toFixed(1) + "," +
                                (115 - p[k] / max * 105).toFixed(1)).join(" ");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", pts); line.setAttribute("fill", "none");
    line.setAttribute("stroke", colors[i]); line.setAttribute("stroke-width", "1.5");
    svg.appendChild(line);
  });
  const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
  label.setAttribute("x", "5"); label.setAttribute("y", "12"); label.setAttribute("font-size", "10");
  label.textContent = "max " + fmt(max / 1.1, 1); svg.appendChild(label);
}
async function refresh() {
  try {
    const s = await (await fetch("/status.json", {cache: "no-store"})).json();
    text("uptime", "up " + fmt(s.uptime_seconds, 0) + " s");
    text("produced", s.produced); text("scored", s.scored); text("alerts", s.alerts);
    text("dead_lettered", s.dead_lettered); text("events_per_second", fmt(s.events_per_second, 1));
    text("survival_rate", fmt(s.survival_rate, 1));
    text("latency_p50_ms", fmt(s.latency_p50_ms, 0)); text("latency_p99_ms", fmt(s.latency_p99_ms, 0));
    text("model_version", s.model_version > 0 ? "v" + s.model_version : "none yet");
    draw($("chart_rate"), s.series, ["events_per_second"], ["#1f77b4"]);
    draw($("chart_latency"), s.series, ["p50_ms", "p99_ms"], ["#2ca02c", "#d62728"]);
    draw($("chart_survival"), s.series, ["survival_rate"], ["#9467bd"]);
    const models = $("models"); models.replaceChildren();
    for (const m of s.models) models.appendChild(row([["v" + m.version], [m.feature_set, "t"], [fmt(m.accuracy, 3)],
        [fmt(m.roc_auc, 3)], [fmt(m.log_loss, 3)], [m.labeled_events], [fmt(m.trained_at_seconds, 0)]]));
    const alerts = $("alerts_table"); alerts.replaceChildren();
    for (const a of s.latest_alerts) alerts.appendChild(row([[a.PassengerId], [a.Name, "t"], [a.Pclass], [a.Sex, "t"],
        [fmt(a.probability, 2)], ["v" + a.model_version], [a.latency_ms === null ? "" : fmt(a.latency_ms, 0)]]));
    const log = $("log"); log.replaceChildren();
    for (const l of s.log) { const d = document.createElement("div"); d.textContent = l; log.appendChild(d); }
    text("error", "");
    document.body.dataset.loaded = "1";
  } catch (e) { text("error", "status unavailable: " + e); }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
)html";

}  // namespace kappa::cli
