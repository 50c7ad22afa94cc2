// fbctl serve: the live run page. The server sends the run's exact merged
// intervals (every worker reported) as a full snapshot per tick over SSE;
// the page redraws, and reloads when the phases change or the run ends
// (the page is always rebuilt from the store, so a reload loses nothing).
(function () {
  "use strict";
  var src = new EventSource(location.pathname.replace(/\/$/, "") + "/events");
  var names = function (d) { return (d.phases || []).map(function (p) { return p.name; }).join(","); };
  var updates = 0;
  function micros(us) {
    if (!us || us <= 0) return "-";
    if (us < 1000) return us + "µs";
    if (us < 1e6) return (us / 1000).toFixed(2) + "ms";
    return (us / 1e6).toFixed(2) + "s";
  }
  // The run's headline numbers (the exact merge of the intervals so far).
  function kpis(d) {
    var v = { operations: String(d.operations), qps: d.qps.toFixed(1), errors: String(d.errors),
      p50: micros(d.latency.p50_us), p99: micros(d.latency.p99_us), p999: micros(d.latency.p999_us), max: micros(d.latency.max_us) };
    document.querySelectorAll("[data-k]").forEach(function (e) {
      var k = e.getAttribute("data-k");
      if (v[k] !== undefined) e.textContent = v[k];
    });
  }
  // The worker grid and the DAG follow the run too.
  function workers(d) {
    var t = document.getElementById("workers");
    if (t && d.workers) {
      for (var i = 0; i < d.workers.length && i + 1 < t.rows.length; i++) {
        var w = d.workers[i], r = t.rows[i + 1];
        r.cells[2].textContent = w.status; r.cells[3].textContent = w.phase || "";
        r.cells[4].textContent = w.heartbeat_age_s.toFixed(1) + " s"; r.cells[5].textContent = w.operations;
        r.cells[6].textContent = w.share_pct.toFixed(1) + "%"; r.cells[7].textContent = w.errors; r.cells[8].textContent = w.sessions;
      }
    }
    var dag = document.getElementById("dag");
    if (dag && d.nodes) {
      dag.textContent = "";
      d.nodes.forEach(function (n, i) {
        if (i) dag.appendChild(document.createTextNode(" → "));
        var s = document.createElement("span");
        s.className = "badge node-" + n.state;
        s.textContent = n.name + " · " + n.state;
        dag.appendChild(s);
      });
    }
  }
  src.addEventListener("snapshot", function (e) {
    var d = JSON.parse(e.data);
    if (names(d) !== names(window.FB_DATA)) { location.reload(); return; }
    window.FB_DATA = d;
    updates++;
    document.body.setAttribute("data-updates", String(updates));
    var live = document.getElementById("live");
    if (live) live.textContent = "live · " + d.operations + " operations · " + d.status;
    workers(d);
    kpis(d);
    window.FB_DRAW();
  });
  src.addEventListener("stop", function () { src.close(); location.reload(); });
})();
