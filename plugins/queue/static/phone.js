// The visitor's phone page: re-render the live status whenever the server says the ticket or its line moved.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("queue-phone-config").textContent);
  const live = document.getElementById("queue-live");
  let timer = null;
  // An older status coming back last would take back "It is your turn" with "You are next in line".
  const reads = window.mbkOrderedReads();

  function refresh() {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      const read = reads.ask();
      fetch(cfg.statusUrl, { headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html || !reads.newer(read)) return;
          const doc = new DOMParser().parseFromString(html, "text/html");
          const status = doc.getElementById("queue-status");
          const current = document.getElementById("queue-status");
          if (status && current && status.outerHTML !== current.outerHTML) {
            const statusChanged = status.dataset.status !== current.dataset.status;
            live.replaceChildren(document.importNode(status, true));
            if (statusChanged && status.dataset.status === "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
            if (statusChanged && status.dataset.status !== "waiting") {
              document.querySelectorAll("form[action$='/phone']").forEach(function (f) { f.closest("section").hidden = true; });
            }
          }
        })
        .catch(function () {});
    }, 200);
  }

  function connect() {
    const source = new EventSource(cfg.eventsUrl);
    ["ticket.issued", "ticket.called", "ticket.started", "ticket.done", "ticket.no_show", "ticket.cancelled",
      "ticket.transferred"].forEach(function (type) { source.addEventListener(type, refresh); });
    source.addEventListener("open", refresh); // after a reconnect, catch up on what was missed
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000); // gave up after an HTTP error
    });
  }
  connect();
})();
