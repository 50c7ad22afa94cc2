// fbctl report / serve run page: draws the charts from window.FB_DATA with
// uPlot. Every latency here comes from exactly merged HDR histograms.
(function () {
  "use strict";
  var charts = 0, points = 0;
  var palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function panel(parent, title, note) {
    var box = el("div", { "class": "chart" });
    box.appendChild(el("div", { "class": "title" }, title));
    if (note) box.appendChild(el("div", { "class": "note" }, note));
    parent.appendChild(box);
    return box;
  }

  function width(box) { return Math.max(360, (box.clientWidth || 560) - 16); }

  var pending = [];

  function line(box, x, ys, names, opts) {
    pending.push(function () { lineNow(box, x, ys, names, opts); });
  }

  function lineNow(box, x, ys, names, opts) {
    opts = opts || {};
    var series = [{ label: opts.xLabel || "s" }];
    for (var i = 0; i < names.length; i++) {
      series.push({ label: names[i], stroke: palette[i % palette.length], width: 1.5, points: { show: x.length < 60 } });
      points += ys[i].length;
    }
    var o = {
      width: width(box), height: 240, series: series,
      scales: { x: { time: false, distr: opts.xLog ? 3 : 1 }, y: { distr: opts.yLog ? 3 : 1 } },
      axes: [{ label: opts.xAxis || "seconds from the phase start", values: opts.xValues, splits: opts.xSplits },
             { label: opts.yAxis || "", size: 60 }],
      legend: { live: true }
    };
    new uPlot(o, [x].concat(ys), box);
    charts++;
  }

  // The HDR percentile-distribution plot: x is 1/(1−p) on a log scale.
  function distribution(box, ph) {
    var xs = [], ys = [], names = ["run " + short(FB_DATA.run_id)];
    var cand = ph.distribution || [], base = ph.baseline_distribution || [];
    var inv = function (p) { return 1 / (1 - p / 100); };
    if (!cand.length) { box.appendChild(el("p", { "class": "muted" }, "no operation")); return; }
    // One x axis for both curves: the candidate's percentiles; the baseline is read at them.
    for (var i = 0; i < cand.length; i++) { xs.push(inv(cand[i].p)); ys.push(cand[i].ms); }
    var data = [ys];
    if (base.length) {
      var b = [], j = 0;
      for (i = 0; i < cand.length; i++) {
        while (j + 1 < base.length && base[j + 1].p <= cand[i].p) j++;
        b.push(base[j].ms);
      }
      data.push(b);
      names.push("baseline " + short(FB_DATA.comparison.baseline.run_id));
    }
    line(box, xs, data, names, {
      xLog: true, yLog: false, xAxis: "percentile (log scale of 1/(1−p))", yAxis: "ms",
      xValues: function (u, vals) { return vals.map(function (v) { return pct(1 - 1 / v); }); },
      xSplits: function (u) {
        var out = [], max = u.scales.x.max || 10;
        for (var v = 1; v <= max * 1.0001; v *= 10) out.push(v);
        return out;
      }
    });
  }

  function pct(q) {
    var s = (q * 100).toPrecision(6);
    return String(parseFloat(s)) + "%";
  }

  function short(id) { return (id || "").slice(0, 8); }

  function phaseCharts(ph) {
    var host = document.getElementById("charts-" + ph.name);
    if (!host) return;
    host.innerHTML = "";
    var s = ph.series;
    if (!s.t || !s.t.length) {
      host.appendChild(el("p", { "class": "muted" }, "No interval series stored for this phase."));
    } else {
      line(panel(host, "Throughput and errors", "operations and errors ended per second, per " + s.interval_s + " s interval, all workers"),
        s.t, [s.qps, s.errors_per_s].concat(ph.model !== "closed" ? [s.dropped_per_s] : []),
        ["ops/s", "errors/s"].concat(ph.model !== "closed" ? ["dropped/s"] : []), { yAxis: "per second" });
      line(panel(host, "Latency over time", "p50 / p95 / p99 / max per interval from exactly merged interval HDR histograms (every operation, from its intended start)"),
        s.t, [s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms], ["p50", "p95", "p99", "max"], { yAxis: "ms" });
      var qs = Object.keys(s.query_p99_ms || {}).sort();
      if (qs.length) {
        line(panel(host, "p99 per query over time", "exact per-interval merge, per query"),
          s.t, qs.map(function (q) { return s.query_p99_ms[q]; }), qs, { yAxis: "ms" });
      }
    }
    distribution(panel(host, "Latency distribution (HDR percentile plot)",
      "exact merged histogram of the phase" + (ph.baseline_distribution ? ", overlaid with the baseline" : "")), ph);
  }

  function draw() {
    var d = window.FB_DATA;
    if (!d) return;
    charts = 0; points = 0;
    pending = [];
    (d.phases || []).forEach(phaseCharts);
    pending.forEach(function (f) { f(); });
    document.body.setAttribute("data-charts", String(charts));
    document.body.setAttribute("data-points", String(points));
    document.body.setAttribute("data-ready", "1");
  }

  window.FB_DRAW = draw;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
