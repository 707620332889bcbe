// Large-text and high-contrast toggles: remembered in a cookie so the server renders the page right first time.
(function () {
  const COOKIE = "mbk_display";
  function current() {
    const m = document.cookie.match(/(?:^|; )mbk_display=([^;]*)/);
    return new Set(m ? decodeURIComponent(m[1]).split(",").filter(Boolean) : []);
  }
  function save(set) {
    document.cookie = COOKIE + "=" + encodeURIComponent([...set].join(",")) + "; path=/; max-age=31536000; samesite=lax";
  }
  // A shared screen (kiosk) starting over for the next visitor forgets large text and high contrast too.
  window.mbkForgetDisplay = function () {
    document.cookie = COOKIE + "=; path=/; max-age=0; samesite=lax";
  };
  document.querySelectorAll(".mbk-toggle[data-display]").forEach(function (button) {
    button.addEventListener("click", function () {
      const mode = button.dataset.display;
      const set = current();
      const on = !set.has(mode);
      if (on) set.add(mode); else set.delete(mode);
      save(set);
      document.documentElement.classList.toggle(mode === "large" ? "mbk-large" : "mbk-contrast", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  });
})();
// Every fetch from our pages carries the CSRF token of the session.
window.mbkFetch = function (url, options) {
  const opts = Object.assign({ credentials: "same-origin" }, options || {});
  opts.headers = Object.assign({ "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content }, opts.headers || {});
  return fetch(url, opts);
};
// A page's reads of what changed, numbered as they are asked: an answer is shown only if it is newer than the one
// on screen. Two reads overlap when a change comes while one is on its way, and the older answer, coming back last,
// would put back what has moved on. Newer than the one shown, not the newest asked: a server that is slow to answer
// every read still moves the page on.
window.mbkOrderedReads = function () {
  let asked = 0;
  let shown = 0;
  return {
    ask: function () { return ++asked; },
    // Whether the answer to read number `read` is to be shown; if so, it is the one on screen from now on.
    newer: function (read) {
      if (read <= shown) return false;
      shown = read;
      return true;
    },
    // What the page shows now (a stream's whole state) is newer than every read asked so far.
    shownNow: function () { shown = asked; },
  };
};
