// fbctl serve: the live run page. The server sends the run's exact merged
// intervals (every worker reported) as a full snapshot per tick over SSE;
// the page redraws, and reloads when the phases change or the run ends
// (the page is always rebuilt from the store, so a reload loses nothing).
(function () {
  "use strict";
  var src = new EventSource(location.pathname.replace(/\/$/, "") + "/events");
  var names = function (d) { return (d.phases || []).map(function (p) { return p.name; }).join(","); };
  var updates = 0;
  src.addEventListener("snapshot", function (e) {
    var d = JSON.parse(e.data);
    if (names(d) !== names(window.FB_DATA)) { location.reload(); return; }
    window.FB_DATA = d;
    updates++;
    document.body.setAttribute("data-updates", String(updates));
    var live = document.getElementById("live");
    if (live) live.textContent = "live · " + d.operations + " operations · " + d.status;
    window.FB_DRAW();
  });
  src.addEventListener("stop", function () { src.close(); location.reload(); });
})();
