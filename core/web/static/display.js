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
